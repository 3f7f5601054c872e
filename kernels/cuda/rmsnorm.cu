#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"
#include "kernels/cuda/rmsnorm.cuh"

namespace tpbench::cuda {
namespace {

constexpr int kThreads = 256;

// One block per output row. Each thread re-reads in pass 2 exactly the elements it wrote in
// pass 1, so the in-place residual update needs no extra synchronisation.
template <typename T>
__global__ void rmsnorm_kernel(float* residual, const float* delta, const float* weight,
                               const int32_t* row_index, int64_t dim, float eps, T* out) {
  __shared__ float scratch[32];
  const int64_t r = blockIdx.x;
  const int64_t src = row_index != nullptr ? row_index[r] : r;
  float* x = residual + src * dim;
  float sum_sq = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    float v = x[i];
    if (delta != nullptr) {
      v += delta[src * dim + i];
      x[i] = v;
    }
    sum_sq += v * v;
  }
  sum_sq = block_sum(sum_sq, scratch);
  const float scale = rsqrtf(sum_sq / static_cast<float>(dim) + eps);
  T* y = out + r * dim;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    y[i] = from_float<T>(x[i] * scale * weight[i]);
}

}  // namespace

template <typename T>
void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, T* out,
             cudaStream_t stream) {
  if (rows == 0) return;
  // delta == nullptr: x is only read.
  rmsnorm_kernel<T><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
      const_cast<float*>(x), nullptr, weight, nullptr, dim, eps, out);
  CUDA_CHECK(cudaGetLastError());
}

template <typename T>
void add_rmsnorm(float* residual, const float* delta, const float* weight, const int32_t* row_index,
                 int64_t rows, int64_t dim, float eps, T* out, cudaStream_t stream) {
  if (rows == 0) return;
  rmsnorm_kernel<T><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(residual, delta, weight,
                                                                          row_index, dim, eps, out);
  CUDA_CHECK(cudaGetLastError());
}

#define TPBENCH_INSTANTIATE(T)                                                                     \
  template void rmsnorm<T>(const float*, const float*, int64_t, int64_t, float, T*, cudaStream_t); \
  template void add_rmsnorm<T>(float*, const float*, const float*, const int32_t*, int64_t,        \
                               int64_t, float, T*, cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
