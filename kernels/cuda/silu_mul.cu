#include <algorithm>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"
#include "kernels/cuda/silu_mul.cuh"

namespace tpbench::cuda {
namespace {

template <typename T>
__global__ void silu_mul_kernel(const float* gate, const float* up, int64_t in_stride, int64_t rows,
                                int64_t cols, T* out) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / cols, j = i % cols;
    const float g = gate[r * in_stride + j];
    out[i] = from_float<T>(g / (1.0f + expf(-g)) * up[r * in_stride + j]);
  }
}

}  // namespace

template <typename T>
void silu_mul(const float* gate, const float* up, int64_t in_stride, int64_t rows, int64_t cols,
              T* out, cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  const int threads = 256;
  const int64_t blocks = std::min<int64_t>((n + threads - 1) / threads, 65536);
  silu_mul_kernel<T>
      <<<static_cast<unsigned>(blocks), threads, 0, stream>>>(gate, up, in_stride, rows, cols, out);
  CUDA_CHECK(cudaGetLastError());
}

#define TPBENCH_INSTANTIATE(T)                                                         \
  template void silu_mul<T>(const float*, const float*, int64_t, int64_t, int64_t, T*, \
                            cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
