#pragma once
// Rotary position embedding fused with writing K/V into the paged cache (CPU twins:
// cpu::rope_cos_sin + cpu::rope_write_kv_cache in kernels/cpu/rope.hpp), Hugging Face's
// rotate-half convention.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

// For each token t: rotates q[t] = q + t * row_stride ([n_heads, head_dim], fp32) in place by
// the angles positions[t] * inv_freq[i] (computed in double, as cpu::rope_cos_sin does), and
// writes the rotated k[t] = k + t * row_stride ([n_kv_heads, head_dim]) and the unchanged
// v[t] = v + t * row_stride into cache row slots[t] of k_cache / v_cache
// [rows, n_kv_heads, head_dim] (T). With the fused q|k|v GEMM output, q, k and v point into the
// same rows and row_stride is its width.
template <typename T>
void rope_write_kv_cache(float* q, const float* k, const float* v, int64_t row_stride,
                         const float* inv_freq, const int32_t* positions, const int64_t* slots,
                         int64_t n_tokens, int n_heads, int n_kv_heads, int head_dim, T* k_cache,
                         T* v_cache, cudaStream_t stream);

}  // namespace tpbench::cuda
