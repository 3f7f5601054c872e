#pragma once
// Rotary position embedding in Hugging Face's rotate-half convention: the pairs rotated together
// are (x[i], x[i + head_dim/2]), by angle pos * inv_freq[i].
#include <cstdint>

namespace tpbench::cpu {

// cos/sin tables [n_tokens, half] for the tokens' positions; half = head_dim / 2.
void rope_cos_sin(const float* inv_freq, int64_t half, const int32_t* positions, int64_t n_tokens,
                  float* cos_out, float* sin_out);

// Rotates q [n_tokens, n_heads, head_dim] in place and k [n_tokens, n_kv_heads, head_dim], and
// writes the rotated k and the unchanged v into the paged cache: token t goes to cache row
// slots[t] (= block * block_size + offset) of k_cache / v_cache [rows, n_kv_heads, head_dim].
void rope_write_kv_cache(float* q, const float* k, const float* v, const float* cos,
                         const float* sin, const int64_t* slots, int64_t n_tokens, int n_heads,
                         int n_kv_heads, int head_dim, float* k_cache, float* v_cache);

}  // namespace tpbench::cpu
