#include <cmath>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/decode_attention.cuh"
#include "kernels/cuda/element.cuh"

namespace tpbench::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;

// Workspace layout, per (seq, head, split) item i = (seq * n_heads + head) * max_splits + split:
// max[i], sum[i] (of exp(score - max)) and acc[i][d] (sum of exp(score - max) * v[d]).
struct Workspace {
  float* max;
  float* sum;
  float* acc;
};

__host__ __device__ inline Workspace split_workspace(float* base, size_t items) {
  return {base, base + items, base + 2 * items};
}

// grid (n_heads, n_seqs, max_splits); dynamic shared memory: head_dim floats of q.
template <typename T>
__global__ void decode_partition_kernel(const float* q, int64_t q_stride, const T* k_cache,
                                        const T* v_cache, const AttentionSeqDesc* seqs,
                                        const int32_t* block_tables, int n_heads, int n_kv_heads,
                                        int head_dim, int block_size, int max_splits,
                                        float* workspace, float scale) {
  extern __shared__ float q_s[];
  __shared__ float scores[kDecodePartition];
  __shared__ int64_t rows[kDecodePartition];
  __shared__ float scratch[32];

  const int h = blockIdx.x, s = blockIdx.y, split = blockIdx.z;
  const AttentionSeqDesc seq = seqs[s];
  const int32_t keys = seq.start_pos + 1;
  const int32_t p0 = split * kDecodePartition;
  if (p0 >= keys) return;  // the merge reads only the splits this sequence has
  const int n = min(kDecodePartition, keys - p0);
  const int kvh = h / (n_heads / n_kv_heads);
  const int64_t kv_stride = int64_t{n_kv_heads} * head_dim;
  const int32_t* table = block_tables + seq.block_table_offset;

  const float* q_row = q + seq.first_token * q_stride + int64_t{h} * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) q_s[d] = q_row[d];
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const int32_t p = p0 + i;
    rows[i] = int64_t{table[p / block_size]} * block_size + p % block_size;
  }
  __syncthreads();

  // Scores: one warp per key, lanes over head_dim.
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int i = warp; i < n; i += kWarps) {
    const T* k = k_cache + rows[i] * kv_stride + int64_t{kvh} * head_dim;
    float dot = 0.0f;
    for (int d = lane; d < head_dim; d += 32) dot += q_s[d] * to_float(k[d]);
    dot = warp_sum(dot);
    if (lane == 0) scores[i] = dot * scale;
  }
  __syncthreads();

  float m = -INFINITY;
  for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, scores[i]);
  m = block_max(m, scratch);
  float sum = 0.0f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const float e = expf(scores[i] - m);
    scores[i] = e;
    sum += e;
  }
  sum = block_sum(sum, scratch);  // synchronises: every exp is in scores below

  const size_t items = static_cast<size_t>(gridDim.y) * n_heads * max_splits;
  const Workspace ws = split_workspace(workspace, items);
  const size_t item = (static_cast<size_t>(s) * n_heads + h) * max_splits + split;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float acc = 0.0f;
    for (int i = 0; i < n; ++i)
      acc += scores[i] * to_float(v_cache[rows[i] * kv_stride + int64_t{kvh} * head_dim + d]);
    ws.acc[item * head_dim + d] = acc;
  }
  if (threadIdx.x == 0) {
    ws.max[item] = m;
    ws.sum[item] = sum;
  }
}

// grid (n_heads, n_seqs): merges the sequence's splits.
template <typename T>
__global__ void decode_merge_kernel(const AttentionSeqDesc* seqs, int n_heads, int head_dim,
                                    int max_splits, const float* workspace, T* out,
                                    int64_t out_stride) {
  const int h = blockIdx.x, s = blockIdx.y;
  const AttentionSeqDesc seq = seqs[s];
  const int splits = (seq.start_pos + kDecodePartition) / kDecodePartition;  // keys = start_pos + 1
  const size_t items = static_cast<size_t>(gridDim.y) * n_heads * max_splits;
  const Workspace ws = split_workspace(const_cast<float*>(workspace), items);
  const size_t first = (static_cast<size_t>(s) * n_heads + h) * max_splits;
  float m = -INFINITY;
  for (int i = 0; i < splits; ++i) m = fmaxf(m, ws.max[first + i]);
  float denom = 0.0f;
  for (int i = 0; i < splits; ++i) denom += ws.sum[first + i] * expf(ws.max[first + i] - m);
  T* o = out + seq.first_token * out_stride + int64_t{h} * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float acc = 0.0f;
    for (int i = 0; i < splits; ++i)
      acc += ws.acc[(first + i) * head_dim + d] * expf(ws.max[first + i] - m);
    o[d] = from_float<T>(acc / denom);
  }
}

}  // namespace

template <typename T>
void decode_attention(const float* q, int64_t q_stride, const T* k_cache, const T* v_cache,
                      const AttentionSeqDesc* seqs, int n_seqs, const int32_t* block_tables,
                      int n_heads, int n_kv_heads, int head_dim, int block_size, int max_splits,
                      float* workspace, T* out, int64_t out_stride, cudaStream_t stream) {
  if (n_seqs == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const dim3 grid(n_heads, n_seqs, max_splits);
  decode_partition_kernel<T><<<grid, kThreads, head_dim * sizeof(float), stream>>>(
      q, q_stride, k_cache, v_cache, seqs, block_tables, n_heads, n_kv_heads, head_dim, block_size,
      max_splits, workspace, scale);
  CUDA_CHECK(cudaGetLastError());
  decode_merge_kernel<T><<<dim3(n_heads, n_seqs), kThreads, 0, stream>>>(
      seqs, n_heads, head_dim, max_splits, workspace, out, out_stride);
  CUDA_CHECK(cudaGetLastError());
}

#define TPBENCH_INSTANTIATE(T)                                                                   \
  template void decode_attention<T>(const float*, int64_t, const T*, const T*,                   \
                                    const AttentionSeqDesc*, int, const int32_t*, int, int, int, \
                                    int, int, float*, T*, int64_t, cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
