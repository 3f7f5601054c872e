#include "kernels/cpu/rope.hpp"
#include "kernels/cpu/parallel.hpp"

#include <cmath>
#include <cstring>

namespace tpbench::cpu {
namespace {

// Each pair is read before it is written, so out may alias x.
void rotate(const float* x, const float* cos, const float* sin, int half, float* out) {
  for (int i = 0; i < half; ++i) {
    const float x1 = x[i], x2 = x[i + half];
    out[i] = x1 * cos[i] - x2 * sin[i];
    out[i + half] = x2 * cos[i] + x1 * sin[i];
  }
}

}  // namespace

void rope_cos_sin(const float* inv_freq, int64_t half, const int32_t* positions, int64_t n_tokens,
                  float* cos_out, float* sin_out) {
#pragma omp parallel for schedule(static) if (n_tokens * half >= kParallelMinWork)
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(positions[t]) * inv_freq[i];
      cos_out[t * half + i] = static_cast<float>(std::cos(angle));
      sin_out[t * half + i] = static_cast<float>(std::sin(angle));
    }
}

void rope_write_kv_cache(float* q, const float* k, const float* v, const float* cos,
                         const float* sin, const int64_t* slots, int64_t n_tokens, int n_heads,
                         int n_kv_heads, int head_dim, float* k_cache, float* v_cache) {
  const int half = head_dim / 2;
  const int64_t q_stride = int64_t{n_heads} * head_dim, kv_stride = int64_t{n_kv_heads} * head_dim;
#pragma omp parallel for schedule(static) if (n_tokens * q_stride >= kParallelMinWork)
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* c = cos + t * half;
    const float* s = sin + t * half;
    for (int h = 0; h < n_heads; ++h) {
      float* qh = q + t * q_stride + int64_t{h} * head_dim;
      rotate(qh, c, s, half, qh);
    }
    float* k_row = k_cache + slots[t] * kv_stride;
    for (int h = 0; h < n_kv_heads; ++h)
      rotate(k + t * kv_stride + int64_t{h} * head_dim, c, s, half, k_row + int64_t{h} * head_dim);
    std::memcpy(v_cache + slots[t] * kv_stride, v + t * kv_stride, kv_stride * sizeof(float));
  }
}

}  // namespace tpbench::cpu
