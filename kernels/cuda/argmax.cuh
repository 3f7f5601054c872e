#pragma once
// Greedy sampling on the GPU (CPU twin: argmax_token in engine/scheduler/sampler.hpp).
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

// out[r] = the lowest index among the maximal values of logits[r, 0:vocab) (NaNs never win;
// a row with no value above -inf gives 0). logits is [rows, vocab] fp32.
void argmax_rows(const float* logits, int64_t rows, int64_t vocab, int32_t* out,
                 cudaStream_t stream);

}  // namespace tpbench::cuda
