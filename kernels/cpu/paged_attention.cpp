#include "kernels/cpu/paged_attention.hpp"
#include "kernels/cpu/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tpbench::cpu {
namespace {

struct QueryRow {
  int seq;
  int32_t pos;
  int64_t q_row;
};

}  // namespace

void paged_attention(const float* q, const float* k_cache, const float* v_cache,
                     const AttentionSeq* seqs, int n_seqs, int n_heads, int n_kv_heads,
                     int head_dim, int block_size, float* out, int32_t window) {
  std::vector<QueryRow> rows;  // one per query token
  int32_t max_len = 0;
  int64_t work = 0;  // multiply-adds: keys x head_dim x 2 per query head
  for (int s = 0; s < n_seqs; ++s) {
    const int64_t n = seqs[s].n_tokens, first_keys = seqs[s].start_pos + 1;
    const int64_t keys = n * first_keys + n * (n - 1) / 2;
    work += (window > 0 ? std::min(keys, n * window) : keys) * n_heads * head_dim * 2;
    for (int32_t i = 0; i < seqs[s].n_tokens; ++i)
      rows.push_back({s, seqs[s].start_pos + i, seqs[s].first_token + i});
    max_len = std::max(max_len, seqs[s].start_pos + seqs[s].n_tokens);
  }
  const int64_t n_items = static_cast<int64_t>(rows.size()) * n_heads;
  const int group = n_heads / n_kv_heads;
  const int64_t kv_stride = int64_t{n_kv_heads} * head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));

#pragma omp parallel if (work >= kParallelMinWork)
  {
    std::vector<float> scores(max_len);
#pragma omp for schedule(dynamic, 4)
    for (int64_t item = 0; item < n_items; ++item) {
      const int64_t row = item / n_heads;
      const int h = static_cast<int>(item % n_heads);
      const AttentionSeq& seq = seqs[rows[row].seq];
      const int32_t n_keys = rows[row].pos + 1;
      const int32_t first_key = window > 0 ? std::max(0, n_keys - window) : 0;
      const int64_t q_row = rows[row].q_row;
      const float* qh = q + (q_row * n_heads + h) * head_dim;
      const int64_t head_offset = int64_t{h / group} * head_dim;

      float max_score = -INFINITY;
      for (int32_t p = first_key; p < n_keys; ++p) {
        const int64_t cache_row =
            int64_t{seq.block_table[p / block_size]} * block_size + p % block_size;
        const float* kh = k_cache + cache_row * kv_stride + head_offset;
        float dot = 0.0f;
        for (int d = 0; d < head_dim; ++d) dot += qh[d] * kh[d];
        scores[p] = dot * scale;
        max_score = std::max(max_score, scores[p]);
      }
      float sum = 0.0f;
      for (int32_t p = first_key; p < n_keys; ++p) {
        scores[p] = std::exp(scores[p] - max_score);
        sum += scores[p];
      }
      float* oh = out + (q_row * n_heads + h) * head_dim;
      for (int d = 0; d < head_dim; ++d) oh[d] = 0.0f;
      for (int32_t p = first_key; p < n_keys; ++p) {
        const int64_t cache_row =
            int64_t{seq.block_table[p / block_size]} * block_size + p % block_size;
        const float* vh = v_cache + cache_row * kv_stride + head_offset;
        const float w = scores[p] / sum;
        for (int d = 0; d < head_dim; ++d) oh[d] += w * vh[d];
      }
    }
  }
}

}  // namespace tpbench::cpu
