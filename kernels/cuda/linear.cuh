#pragma once
// A linear layer on the GPU: one cuBLAS GEMM (cublasGemmEx) with fp32 accumulation and fp32
// output, plus a bias kernel (CPU twin: kernels/cpu/matmul.hpp).
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

// y[rows, out] (fp32) = x[rows, in] (T) * w[out, in]^T (T) (+ bias[out] fp32 when not null).
// w keeps the checkpoint's row-major [out_features, in_features] layout. Runs on `stream`
// (the handle is bound to it when it is not already; binding a new stream resets the handle's
// workspace to cuBLAS's default, so give a handle its cublasSetWorkspace after its stream).
template <typename T>
void linear(cublasHandle_t handle, const T* x, int64_t rows, int64_t in, const T* w, int64_t out,
            const float* bias, float* y, cudaStream_t stream);

}  // namespace tpbench::cuda
