#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"
#include "kernels/cuda/rope_kv_cache.cuh"

namespace tpbench::cuda {
namespace {

// One block per token. Work items: the q pairs, then the k pairs, then the v elements.
template <typename T>
__global__ void rope_kv_kernel(float* q, const float* k, const float* v, int64_t row_stride,
                               const float* inv_freq, const int32_t* positions,
                               const int64_t* slots, int n_heads, int n_kv_heads, int head_dim,
                               T* k_cache, T* v_cache) {
  const int64_t t = blockIdx.x;
  const int half = head_dim / 2;
  const int q_pairs = n_heads * half, k_pairs = n_kv_heads * half;
  const int kv_width = n_kv_heads * head_dim;
  const double pos = static_cast<double>(positions[t]);
  float* q_row = q + t * row_stride;
  const float* k_row = k + t * row_stride;
  const float* v_row = v + t * row_stride;
  T* k_dst = k_cache + slots[t] * kv_width;
  T* v_dst = v_cache + slots[t] * kv_width;
  for (int item = threadIdx.x; item < q_pairs + k_pairs + kv_width; item += blockDim.x) {
    if (item < q_pairs + k_pairs) {
      const bool is_q = item < q_pairs;
      const int pair = is_q ? item : item - q_pairs;
      const int head = pair / half, i = pair % half;
      double s, c;
      sincos(pos * static_cast<double>(inv_freq[i]), &s, &c);
      const float cf = static_cast<float>(c), sf = static_cast<float>(s);
      const int64_t at = int64_t{head} * head_dim + i;
      const float* src = is_q ? q_row : k_row;
      const float x1 = src[at], x2 = src[at + half];
      const float y1 = x1 * cf - x2 * sf, y2 = x2 * cf + x1 * sf;
      if (is_q) {
        q_row[at] = y1;
        q_row[at + half] = y2;
      } else {
        k_dst[at] = from_float<T>(y1);
        k_dst[at + half] = from_float<T>(y2);
      }
    } else {
      const int e = item - q_pairs - k_pairs;
      v_dst[e] = from_float<T>(v_row[e]);
    }
  }
}

}  // namespace

template <typename T>
void rope_write_kv_cache(float* q, const float* k, const float* v, int64_t row_stride,
                         const float* inv_freq, const int32_t* positions, const int64_t* slots,
                         int64_t n_tokens, int n_heads, int n_kv_heads, int head_dim, T* k_cache,
                         T* v_cache, cudaStream_t stream) {
  if (n_tokens == 0) return;
  rope_kv_kernel<T><<<static_cast<unsigned>(n_tokens), 256, 0, stream>>>(
      q, k, v, row_stride, inv_freq, positions, slots, n_heads, n_kv_heads, head_dim, k_cache,
      v_cache);
  CUDA_CHECK(cudaGetLastError());
}

#define TPBENCH_INSTANTIATE(T)                                                                     \
  template void rope_write_kv_cache<T>(float*, const float*, const float*, int64_t, const float*,  \
                                       const int32_t*, const int64_t*, int64_t, int, int, int, T*, \
                                       T*, cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
