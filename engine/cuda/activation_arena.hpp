#pragma once
// The per-step device buffers of one TP rank's forward pass, allocated once for the largest step
// the scheduler plans (max_prefill_tokens + max_batch_size token rows, max_batch_size logit rows
// and decoding sequences, each at the model's longest context), before the KV cache is sized
// from the free memory. Nothing grows later: the decode graphs bake these addresses in, and a
// step beyond the sizes is an InternalError naming the size and its limit.
#include <cstdint>

#include "engine/cuda/device_memory.hpp"
#include "engine/cuda/layer_widths.hpp"
#include "engine/model/tp_shard.hpp"

namespace tpbench {

struct ArenaSizes {
  int64_t tokens = 0;          // token rows of a step
  int64_t logit_rows = 0;      // rows whose logits a step computes
  int decode_seqs = 0;         // decoding sequences of a step ...
  int decode_splits = 0;       // ... with at most this many decode-attention splits
  bool reduce_buffer = false;  // TP all-reduces in the element type: a buffer of T for them
};

// Throws InternalError, naming the size and its limit, when a step of `rows` token rows,
// `logit_rows` logit rows and `decode_seqs` decoding sequences of up to `decode_splits` splits
// (heads x head_dim per row on this rank) does not fit buffers of `sizes`.
void check_step_fits(const ArenaSizes& sizes, int heads, int head_dim, int64_t rows,
                     int64_t logit_rows, int decode_seqs, int decode_splits);

template <typename T>
class ActivationArena {
 public:
  ActivationArena(const LayerWidths& widths, const TpShard& shard, const ArenaSizes& sizes);

  // check_step_fits for these buffers.
  void check_step(int64_t rows, int64_t logit_rows, int decode_seqs, int decode_splits) const {
    check_step_fits(sizes_, shard_heads_, head_dim_, rows, logit_rows, decode_seqs, decode_splits);
  }

  float* x() const { return x_.data(); }          // [rows, D] the residual stream
  float* delta() const { return delta_.data(); }  // [rows, D] a block's output (all-reduced)
  T* h() const { return h_.data(); }              // [rows, D] normed input of a GEMM
  float* work() const { return work_.data(); }    // [rows, max(qkv, 2 I)] q|k|v or gate|up
  T* act() const { return act_.data(); }          // [rows, max(q, I)] attention / SwiGLU output
  T* reduce_buf() const { return reduce_buf_.data(); }  // [rows, D] partial sums in T
  float* decode_ws() const { return decode_ws_.data(); }
  float* local_logits() const { return local_logits_.data(); }  // [logit rows, local vocab]
  float* gathered() const { return gathered_.data(); }          // [tp, logit rows, local vocab]
  // [logit rows, vocab]: the LM head's output at TP 1, the reordered all-gather's beyond.
  float* logits() const { return shard_size_ == 1 ? local_logits_.data() : full_logits_.data(); }

 private:
  ArenaSizes sizes_;
  int shard_heads_ = 0;
  int head_dim_ = 0;
  int shard_size_ = 1;
  DeviceArray<float> x_, delta_, work_, local_logits_, gathered_, full_logits_, decode_ws_;
  DeviceArray<T> h_, act_, reduce_buf_;
};

}  // namespace tpbench
