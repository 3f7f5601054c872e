#include "kernels/cpu/rmsnorm.hpp"
#include "kernels/cpu/parallel.hpp"

#include <cmath>

namespace tpbench::cpu {
namespace {

void normalize_row(const float* x, const float* weight, int64_t dim, float eps, float* out) {
  double sum_sq = 0.0;
  for (int64_t i = 0; i < dim; ++i) sum_sq += double{x[i]} * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum_sq / dim + eps));
  for (int64_t i = 0; i < dim; ++i) out[i] = x[i] * scale * weight[i];
}

}  // namespace

void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps,
             float* out) {
#pragma omp parallel for schedule(static) if (rows * dim >= kParallelMinWork)
  for (int64_t r = 0; r < rows; ++r) normalize_row(x + r * dim, weight, dim, eps, out + r * dim);
}

void add_rmsnorm(float* residual, const float* delta, const float* weight, int64_t rows,
                 int64_t dim, float eps, float* out) {
#pragma omp parallel for schedule(static) if (rows * dim >= kParallelMinWork)
  for (int64_t r = 0; r < rows; ++r) {
    float* x = residual + r * dim;
    const float* d = delta + r * dim;
    for (int64_t i = 0; i < dim; ++i) x[i] += d[i];
    normalize_row(x, weight, dim, eps, out + r * dim);
  }
}

}  // namespace tpbench::cpu
