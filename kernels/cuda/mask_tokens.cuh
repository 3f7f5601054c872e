#pragma once
// Masking before sampling: the listed (row, token) logits become -inf, so neither the argmax nor
// a draw can return them (a request's stop tokens until it has min_new_tokens). CPU twin:
// mask_tokens in engine/scheduler/sampler.hpp.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

struct MaskedToken {
  int32_t row = 0;    // row of the logits
  int32_t token = 0;  // < vocab
};

// logits[masked[i].row * vocab + masked[i].token] = -inf for i < n (masked: device memory).
void mask_tokens(float* logits, int64_t vocab, const MaskedToken* masked, int n,
                 cudaStream_t stream);

}  // namespace tpbench::cuda
