#pragma once
// SwiGLU activation (CPU twin: kernels/cpu/silu_mul.hpp).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

// out[r, j] = T(silu(gate[r * in_stride + j]) * up[r * in_stride + j]) for r < rows, j < cols;
// silu(x) = x / (1 + exp(-x)). out is dense [rows, cols]. With the fused gate|up GEMM output
// [rows, 2 cols]: gate = buf, up = buf + cols, in_stride = 2 cols.
template <typename T>
void silu_mul(const float* gate, const float* up, int64_t in_stride, int64_t rows, int64_t cols,
              T* out, cudaStream_t stream);

}  // namespace tpbench::cuda
