#pragma once
// RMSNorm, alone and fused with the residual add (CPU twin: kernels/cpu/rmsnorm.hpp). The
// residual stream and the norm weights are fp32; the normalised output is T, the next GEMM's
// input type.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

// out[r, :] = T(x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight) for `rows` rows of `dim`.
template <typename T>
void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, T* out,
             cudaStream_t stream);

// residual[i] += delta[i], then out[r] = rmsnorm(residual[i]), where i = row_index[r] (or r when
// row_index is null): the final norm uses row_index to normalise only the rows whose logits
// are wanted. out is [rows, dim].
template <typename T>
void add_rmsnorm(float* residual, const float* delta, const float* weight, const int32_t* row_index,
                 int64_t rows, int64_t dim, float eps, T* out, cudaStream_t stream);

}  // namespace tpbench::cuda
