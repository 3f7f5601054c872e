#include <cmath>
#include <string>

#include "common/error.hpp"

#include "kernels/cuda/attention_limits.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"
#include "kernels/cuda/prefill_attention.cuh"

namespace tpbench::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kTileQ = kPrefillTileQ;
constexpr int kTileK = 32;  // one key per lane in the softmax update

// Shared memory, in floats: q [TQ][hd], k [TK][hd + 1] (padded: lanes read different keys at
// the same d), v [TK][hd], o [TQ][hd], p [TQ][TK], then m, l, alpha [TQ].
size_t shared_floats(int hd) {
  return size_t{kTileQ} * hd + size_t{kTileK} * (hd + 1) + size_t{kTileK} * hd +
         size_t{kTileQ} * hd + size_t{kTileQ} * kTileK + 3 * kTileQ;
}

// grid (n_tiles, n_heads).
template <typename T>
__global__ void prefill_attention_kernel(const float* q, int64_t q_stride, const T* k_cache,
                                         const T* v_cache, const AttentionSeqDesc* seqs,
                                         const int32_t* block_tables, const PrefillTile* tiles,
                                         int n_heads, int n_kv_heads, int head_dim, int block_size,
                                         T* out, int64_t out_stride, float scale) {
  extern __shared__ float smem[];
  const int hd = head_dim, kp = head_dim + 1;
  float* q_s = smem;
  float* k_s = q_s + kTileQ * hd;
  float* v_s = k_s + kTileK * kp;
  float* o_s = v_s + kTileK * hd;
  float* p_s = o_s + kTileQ * hd;
  float* m_s = p_s + kTileQ * kTileK;
  float* l_s = m_s + kTileQ;
  float* alpha_s = l_s + kTileQ;

  const PrefillTile tile = tiles[blockIdx.x];
  const int h = blockIdx.y;
  const AttentionSeqDesc seq = seqs[tile.seq];
  const int nq = min(kTileQ, seq.n_tokens - tile.q_begin);
  const int32_t q_pos0 = seq.start_pos + tile.q_begin;  // position of the tile's first query
  const int32_t kv_end = q_pos0 + nq;                   // keys [0, kv_end) are needed
  const int kvh = h / (n_heads / n_kv_heads);
  const int64_t kv_stride = int64_t{n_kv_heads} * hd;
  const int32_t* table = block_tables + seq.block_table_offset;
  const int64_t row0 = seq.first_token + tile.q_begin;

  for (int e = threadIdx.x; e < kTileQ * hd; e += blockDim.x) {
    const int r = e / hd, d = e % hd;
    q_s[e] = r < nq ? q[(row0 + r) * q_stride + int64_t{h} * hd + d] : 0.0f;
    o_s[e] = 0.0f;
  }
  for (int r = threadIdx.x; r < kTileQ; r += blockDim.x) {
    m_s[r] = -INFINITY;
    l_s[r] = 0.0f;
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;

  for (int32_t k0 = 0; k0 < kv_end; k0 += kTileK) {
    const int nk = min(kTileK, kv_end - k0);
    __syncthreads();  // the previous tile's k/v/p are no longer read
    for (int e = threadIdx.x; e < nk * hd; e += blockDim.x) {
      const int j = e / hd, d = e % hd;
      const int32_t p = k0 + j;
      const int64_t row = int64_t{table[p / block_size]} * block_size + p % block_size;
      const int64_t at = row * kv_stride + int64_t{kvh} * hd + d;
      k_s[j * kp + d] = to_float(k_cache[at]);
      v_s[j * hd + d] = to_float(v_cache[at]);
    }
    __syncthreads();
    // Scores; masked entries (past the chunk, a missing key, or a future position) are -inf.
    for (int e = threadIdx.x; e < kTileQ * kTileK; e += blockDim.x) {
      const int r = e / kTileK, j = e % kTileK;
      float s = -INFINITY;
      if (r < nq && j < nk && k0 + j <= q_pos0 + r) {
        float dot = 0.0f;
        for (int d = 0; d < hd; ++d) dot += q_s[r * hd + d] * k_s[j * kp + d];
        s = dot * scale;
      }
      p_s[e] = s;
    }
    __syncthreads();
    // Online softmax, one warp per query row, one lane per key. Key 0 is in the first tile and
    // visible to every query, so a valid row's max is finite from the first tile on.
    for (int r = warp; r < kTileQ; r += kWarps) {
      const float s = p_s[r * kTileK + lane];
      const float m_old = m_s[r];
      const float m_new = fmaxf(m_old, warp_max(s));
      const float p = s == -INFINITY ? 0.0f : expf(s - m_new);
      const float p_sum = warp_sum(p);
      p_s[r * kTileK + lane] = p;
      if (lane == 0) {
        const float alpha = m_old == -INFINITY ? 0.0f : expf(m_old - m_new);
        l_s[r] = l_s[r] * alpha + p_sum;
        m_s[r] = m_new;
        alpha_s[r] = alpha;
      }
    }
    __syncthreads();
    for (int e = threadIdx.x; e < kTileQ * hd; e += blockDim.x) {
      const int r = e / hd, d = e % hd;
      float acc = o_s[e] * alpha_s[r];
      for (int j = 0; j < nk; ++j) acc += p_s[r * kTileK + j] * v_s[j * hd + d];
      o_s[e] = acc;
    }
  }
  __syncthreads();
  for (int e = threadIdx.x; e < nq * hd; e += blockDim.x) {
    const int r = e / hd, d = e % hd;
    out[(row0 + r) * out_stride + int64_t{h} * hd + d] = from_float<T>(o_s[e] / l_s[r]);
  }
}

}  // namespace

template <typename T>
void prefill_attention(const float* q, int64_t q_stride, const T* k_cache, const T* v_cache,
                       const AttentionSeqDesc* seqs, const int32_t* block_tables,
                       const PrefillTile* tiles, int n_tiles, int n_heads, int n_kv_heads,
                       int head_dim, int block_size, T* out, int64_t out_stride,
                       cudaStream_t stream) {
  if (n_tiles == 0) return;
  TPBENCH_CHECK(head_dim <= kMaxHeadDim, "prefill_attention: head_dim " + std::to_string(head_dim));
  const size_t bytes = shared_floats(head_dim) * sizeof(float);
  CUDA_CHECK(cudaFuncSetAttribute(prefill_attention_kernel<T>,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(bytes)));
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  prefill_attention_kernel<T><<<dim3(n_tiles, n_heads), kThreads, bytes, stream>>>(
      q, q_stride, k_cache, v_cache, seqs, block_tables, tiles, n_heads, n_kv_heads, head_dim,
      block_size, out, out_stride, scale);
  CUDA_CHECK(cudaGetLastError());
}

#define TPBENCH_INSTANTIATE(T)                                                                    \
  template void prefill_attention<T>(const float*, int64_t, const T*, const T*,                   \
                                     const AttentionSeqDesc*, const int32_t*, const PrefillTile*, \
                                     int, int, int, int, int, T*, int64_t, cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
