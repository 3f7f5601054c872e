#pragma once
// Attention of a batch of query chunks over a paged KV cache. Each sequence's chunk of
// n_tokens queries sits at positions [start_pos, start_pos + n_tokens); query i attends to the
// cached keys of positions [0, start_pos + i] (causal within the chunk; a decode is a chunk of
// one). Key position p lives in cache row block_table[p / block_size] * block_size +
// p % block_size. Grouped-query attention: query head h reads KV head h / (n_heads / n_kv_heads).
// A sliding window W > 0 limits query position q to the keys p > q - W (the last W positions,
// its own included), as transformers' sliding_window_overlay masks; blocks wholly before the
// window are not read.
#include <cstdint>

namespace tpbench::cpu {

struct AttentionSeq {
  int64_t first_token = 0;  // row of its first query in q / out
  int32_t n_tokens = 0;
  int32_t start_pos = 0;
  const int32_t* block_table = nullptr;
};

// q, out: [total tokens, n_heads, head_dim]; k_cache, v_cache: [rows, n_kv_heads, head_dim].
// Scores are scaled by 1/sqrt(head_dim). window 0: full causal attention.
void paged_attention(const float* q, const float* k_cache, const float* v_cache,
                     const AttentionSeq* seqs, int n_seqs, int n_heads, int n_kv_heads,
                     int head_dim, int block_size, float* out, int32_t window = 0);

}  // namespace tpbench::cpu
