#pragma once
// Sampling on the GPU: argmax for greedy rows and, for the others, top-k, temperature and top-p
// (nucleus) over fully sorted rows, drawing with the counter-based uniform of
// common/counter_rng.hpp. CPU twin: sample_token in engine/scheduler/sampler.hpp, whose
// candidate order (higher logit first, equal logits by lower id) and arithmetic this follows.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace tpbench::cuda {

// One row to draw from with top-k / top-p / temperature (greedy rows need none).
struct SampleRowParams {
  int32_t row = 0;    // row of the logits
  int32_t top_k = 0;  // <= 0 or >= vocab: the whole vocabulary
  float top_p = 1.0f;
  float temperature = 1.0f;  // > 0
  uint64_t stream_key = 0;
  uint64_t draw_index = 0;
};

// Bytes of device workspace sample_rows needs for up to `max_rows` sampled rows (about
// 16 bytes per row x vocab).
size_t sample_rows_workspace_bytes(int64_t max_rows, int64_t vocab);

// tokens[r] = argmax of logits row r for every r < rows; then, for each params[j] (j < n_sampled,
// device memory), tokens[params[j].row] = the token drawn from that row. NaN logits never win
// and weigh nothing. `workspace` holds sample_rows_workspace_bytes(n_sampled, vocab) or more;
// rows * vocab < 2^31 and n_sampled < 65536.
void sample_rows(const float* logits, int64_t rows, int64_t vocab, const SampleRowParams* params,
                 int n_sampled, void* workspace, size_t workspace_bytes, int32_t* tokens,
                 cudaStream_t stream);

}  // namespace tpbench::cuda
