#pragma once
// Prefill attention over the paged KV cache: causal, variable-length chunks in one batch, tiled
// (kPrefillTileQ queries x 32 keys, online softmax). A chunk may start after cached context
// (chunked prefill): its queries see the cached keys too. CPU twin: cpu::paged_attention.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "kernels/cuda/attention_seq.hpp"

namespace tpbench::cuda {

inline constexpr int kPrefillTileQ = 16;

// A tile of up to kPrefillTileQ queries of seqs[seq], from query q_begin of its chunk.
struct PrefillTile {
  int32_t seq = 0;
  int32_t q_begin = 0;
};

// Appends the tiles covering the n_tokens queries of seqs[seq].
inline void append_prefill_tiles(int32_t seq, int32_t n_tokens, std::vector<PrefillTile>& tiles) {
  for (int32_t q = 0; q < n_tokens; q += kPrefillTileQ) tiles.push_back({seq, q});
}

// For every tile, query i of seqs[tile.seq] (row first_token + i of q, fp32; head h at
// q + row * q_stride + h * head_dim) attends to the cached keys of positions
// [0, start_pos + i] (cache rows via the flat block_tables, as in decode_attention). head_dim
// must be at most kMaxHeadDim (attention_limits.hpp). Writes out + row * out_stride + h * head_dim
// (T).
template <typename T>
void prefill_attention(const float* q, int64_t q_stride, const T* k_cache, const T* v_cache,
                       const AttentionSeqDesc* seqs, const int32_t* block_tables,
                       const PrefillTile* tiles, int n_tiles, int n_heads, int n_kv_heads,
                       int head_dim, int block_size, T* out, int64_t out_stride,
                       cudaStream_t stream);

}  // namespace tpbench::cuda
