#include "kernels/cpu/matmul.hpp"
#include "kernels/cpu/parallel.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>

namespace tpbench::cpu {

// OpenBLAS runs single-threaded (set_default_threads): the OpenMP team splits the output
// columns instead, so one thread pool serves every kernel and two pools never spin against
// each other for the same cores.
void linear(const float* x, int64_t rows, int64_t in, const float* w, int64_t out,
            const float* bias, float* y) {
  if (rows == 0 || out == 0) return;
  const int64_t work = rows * out * in;
  const int threads = work >= 16 * kParallelMinWork ? omp_get_max_threads() : 1;
  const int64_t chunk = ((out + threads - 1) / threads + 15) / 16 * 16;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (int64_t j0 = 0; j0 < out; j0 += chunk) {
    const int64_t cols = std::min(chunk, out - j0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows),
                static_cast<int>(cols), static_cast<int>(in), 1.0f, x, static_cast<int>(in),
                w + j0 * in, static_cast<int>(in), 0.0f, y + j0, static_cast<int>(out));
    if (bias != nullptr)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = j0; j < j0 + cols; ++j) y[r * out + j] += bias[j];
  }
}

}  // namespace tpbench::cpu
