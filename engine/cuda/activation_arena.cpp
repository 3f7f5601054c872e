#include "engine/cuda/activation_arena.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "kernels/cuda/decode_attention.cuh"

namespace tpbench {

void check_step_fits(const ArenaSizes& sizes, int heads, int head_dim, int64_t rows,
                     int64_t logit_rows, int decode_seqs, int decode_splits) {
  TPBENCH_CHECK(rows <= sizes.tokens, "step of " + std::to_string(rows) +
                                          " token rows: the activations hold " +
                                          std::to_string(sizes.tokens));
  TPBENCH_CHECK(logit_rows <= sizes.logit_rows, "step of " + std::to_string(logit_rows) +
                                                    " logit rows: the activations hold " +
                                                    std::to_string(sizes.logit_rows));
  TPBENCH_CHECK(
      cuda::decode_attention_workspace_floats(decode_seqs, heads, head_dim, decode_splits) <=
          cuda::decode_attention_workspace_floats(sizes.decode_seqs, heads, head_dim,
                                                  sizes.decode_splits),
      "step of " + std::to_string(decode_seqs) + " decoding sequences of " +
          std::to_string(decode_splits) + " splits: the decode-attention workspace holds " +
          std::to_string(sizes.decode_seqs) + " of " + std::to_string(sizes.decode_splits));
}

template <typename T>
ActivationArena<T>::ActivationArena(const LayerWidths& w, const TpShard& shard,
                                    const ArenaSizes& sizes)
    : sizes_(sizes),
      shard_heads_(shard.heads),
      head_dim_(static_cast<int>(w.hd)),
      shard_size_(shard.size) {
  const int64_t tokens = sizes.tokens, logit_rows = sizes.logit_rows;
  const int64_t tp = shard.size, Vl = shard.vocab;
  x_.ensure(tokens * w.D);
  delta_.ensure(tokens * w.D);
  h_.ensure(tokens * w.D);
  if (sizes.reduce_buffer) reduce_buf_.ensure(tokens * w.D);
  work_.ensure(tokens * std::max(w.qkv, 2 * w.I));
  act_.ensure(tokens * std::max(w.q, w.I));
  local_logits_.ensure(logit_rows * Vl);
  if (tp > 1) {
    gathered_.ensure(tp * logit_rows * Vl);
    full_logits_.ensure(tp * logit_rows * Vl);
  }
  decode_ws_.ensure(cuda::decode_attention_workspace_floats(sizes.decode_seqs, shard.heads,
                                                            head_dim_, sizes.decode_splits));
}

template class ActivationArena<float>;
template class ActivationArena<__half>;
template class ActivationArena<__nv_bfloat16>;

}  // namespace tpbench
