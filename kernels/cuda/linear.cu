#include <algorithm>
#include <type_traits>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"
#include "kernels/cuda/linear.cuh"

namespace tpbench::cuda {
namespace {

__global__ void add_bias_kernel(float* y, const float* bias, int64_t rows, int64_t out) {
  const int64_t n = rows * out;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    y[i] += bias[i % out];
}

template <typename T>
constexpr cudaDataType_t data_type() {
  if constexpr (std::is_same_v<T, float>) return CUDA_R_32F;
  if constexpr (std::is_same_v<T, __half>) return CUDA_R_16F;
  return CUDA_R_16BF;
}

}  // namespace

template <typename T>
void linear(cublasHandle_t handle, const T* x, int64_t rows, int64_t in, const T* w, int64_t out,
            const float* bias, float* y, cudaStream_t stream) {
  if (rows == 0 || out == 0) return;
  // cublasSetStream also resets the handle's workspace to cuBLAS's own pool, dropping one set
  // with cublasSetWorkspace (the runner's, sized before the KV cache): rebind only on a change.
  cudaStream_t bound = nullptr;
  CUBLAS_CHECK(cublasGetStream(handle, &bound));
  if (bound != stream) CUBLAS_CHECK(cublasSetStream(handle, stream));
  // cuBLAS is column-major: y^T [out, rows] = (w^T)^T [out, in] * x^T [in, rows], where the
  // row-major w and x are, read column-major, w^T [in, out] and x^T [in, rows].
  const float alpha = 1.0f, beta = 0.0f;
  // fp32 weights (the golden check) must not run on TF32 tensor cores.
  const cublasComputeType_t compute =
      std::is_same_v<T, float> ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
  CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(out),
                            static_cast<int>(rows), static_cast<int>(in), &alpha, w, data_type<T>(),
                            static_cast<int>(in), x, data_type<T>(), static_cast<int>(in), &beta, y,
                            CUDA_R_32F, static_cast<int>(out), compute, CUBLAS_GEMM_DEFAULT));
  if (bias != nullptr) {
    const int64_t n = rows * out;
    const int64_t blocks = std::min<int64_t>((n + 255) / 256, 65536);
    add_bias_kernel<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(y, bias, rows, out);
    CUDA_CHECK(cudaGetLastError());
  }
}

#define TPBENCH_INSTANTIATE(T)                                                           \
  template void linear<T>(cublasHandle_t, const T*, int64_t, int64_t, const T*, int64_t, \
                          const float*, float*, cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
