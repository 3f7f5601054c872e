#pragma once
// Embedding gather (CPU twin: kernels/cpu/embedding.hpp).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

// out[t, :] = float(table[ids[t], :]) for t < n_tokens; table is [vocab, dim] of T, out is the
// fp32 residual stream [n_tokens, dim]. Ids must be in range.
template <typename T>
void embedding_gather(const T* table, int64_t dim, const int32_t* ids, int64_t n_tokens, float* out,
                      cudaStream_t stream);

}  // namespace tpbench::cuda
