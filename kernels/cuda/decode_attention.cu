#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"

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

constexpr int kMaxHeadDim = 256;
constexpr int kDimsPerThread = kMaxHeadDim / kThreads;

// Blocks a launch aims for: enough to fill an H100-class GPU several times over. Fewer
// (sequence, head) pairs than this split the context across grid z.
constexpr int kTargetBlocks = 1024;

// Folds a partition's scores[0, n) into the running (max, sum) of an online softmax: scores
// become exp(score - max) and the return is the factor the running accumulators are scaled by
// (0 on the first partition, where run_max is -inf). Synchronises the block: every exp is
// visible on return.
__device__ float fold_partition(float* scores, int n, float& run_max, float& run_sum,
                                float* scratch) {
  float m = -INFINITY;
  for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, scores[i]);
  m = fmaxf(block_max(m, scratch), run_max);
  const float rescale = expf(run_max - m);
  float sum = 0.0f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const float e = expf(scores[i] - m);
    scores[i] = e;
    sum += e;
  }
  sum = block_sum(sum, scratch);
  run_sum = run_sum * rescale + sum;
  run_max = m;
  return rescale;
}

// 16 bytes of T from a 16-byte aligned address, as floats.
template <typename T>
__device__ __forceinline__ void load16(const T* p, float (&out)[16 / sizeof(T)]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
  for (int i = 0; i < static_cast<int>(16 / sizeof(T)); ++i) out[i] = to_float(e[i]);
}

// The vectorised twin of decode_partition_kernel (same grid, workspace and result) for head
// sizes whose rows are whole 16-byte vectors, at most 32 of them: a group of `group` lanes (a
// power of two >= head_dim / kVec) reads one key's or value's row with 16-byte loads. Scores:
// each warp takes 32 / group keys at a time; values: each of the block's kThreads / group
// groups folds every (kThreads / group)-th key into kVec dims per lane, and the groups' partial
// sums are added at the end.
template <typename T>
__global__ void decode_partition_vec_kernel(const float* q, int64_t q_stride, const T* k_cache,
                                            const T* v_cache, const AttentionSeqDesc* seqs,
                                            const int32_t* block_tables, int n_heads,
                                            int n_kv_heads, int head_dim, int block_size, int group,
                                            float* workspace, float scale) {
  constexpr int kVec = 16 / sizeof(T);
  __shared__ float scores[kDecodePartition];
  __shared__ int64_t rows[kDecodePartition];
  __shared__ float scratch[32];
  __shared__ float group_acc[kThreads * kVec];  // groups x head_dim <= kThreads x kVec

  const int h = blockIdx.x, s = blockIdx.y, z = blockIdx.z, n_z = gridDim.z;
  const AttentionSeqDesc seq = seqs[s];
  const int32_t keys = seq.start_pos + 1;
  if (z * kDecodePartition >= keys) return;  // the merge reads only the items holding keys
  const int kvh = h / (n_heads / n_kv_heads);
  const int64_t kv_stride = int64_t{n_kv_heads} * head_dim;
  const int32_t* table = block_tables + seq.block_table_offset;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int in_group = threadIdx.x % group, group_id = threadIdx.x / group;
  const int groups = kThreads / group, keys_per_warp = 32 / group, warp_group = lane / group;
  const bool active = in_group * kVec < head_dim;
  const int dim0 = in_group * kVec;
  const int64_t head_offset = int64_t{kvh} * head_dim + dim0;
  // A lane always reads the same kVec dims: its slice of q lives in registers.
  const float* q_row = q + seq.first_token * q_stride + int64_t{h} * head_dim;
  float q_reg[kVec];
#pragma unroll
  for (int e = 0; e < kVec; ++e) q_reg[e] = active ? q_row[dim0 + e] : 0.0f;
  float run_max = -INFINITY, run_sum = 0.0f;
  float acc[kVec];
#pragma unroll
  for (int e = 0; e < kVec; ++e) acc[e] = 0.0f;

  for (int part = z; part * kDecodePartition < keys; part += n_z) {
    const int32_t p0 = part * kDecodePartition;
    const int n = min(kDecodePartition, keys - p0);
    __syncthreads();  // the previous partition's rows and scores are consumed
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
      const int32_t p = p0 + i;
      rows[i] = int64_t{table[p / block_size]} * block_size + p % block_size;
    }
    __syncthreads();

    // Every lane of a warp runs the same iterations, so the group reductions' shuffles are
    // warp-wide.
    for (int base = warp * keys_per_warp; base < n; base += kWarps * keys_per_warp) {
      const int i = base + warp_group;
      float dot = 0.0f;
      if (i < n && active) {
        float k[kVec];
        load16(k_cache + rows[i] * kv_stride + head_offset, k);
#pragma unroll
        for (int e = 0; e < kVec; ++e) dot += q_reg[e] * k[e];
      }
      for (int offset = group / 2; offset > 0; offset >>= 1)
        dot += __shfl_xor_sync(0xffffffffu, dot, offset);
      if (in_group == 0 && i < n) scores[i] = dot * scale;
    }
    __syncthreads();

    const float rescale = fold_partition(scores, n, run_max, run_sum, scratch);
#pragma unroll
    for (int e = 0; e < kVec; ++e) acc[e] *= rescale;
    if (active) {
      for (int i = group_id; i < n; i += groups) {
        float v[kVec];
        load16(v_cache + rows[i] * kv_stride + head_offset, v);
        const float p = scores[i];
#pragma unroll
        for (int e = 0; e < kVec; ++e) acc[e] += p * v[e];
      }
    }
  }

  if (active)
#pragma unroll
    for (int e = 0; e < kVec; ++e) group_acc[group_id * head_dim + dim0 + e] = acc[e];
  __syncthreads();
  const size_t items = static_cast<size_t>(gridDim.y) * n_heads * n_z;
  const Workspace ws = split_workspace(workspace, items);
  const size_t item = (static_cast<size_t>(s) * n_heads + h) * n_z + z;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float sum = 0.0f;
    for (int g = 0; g < groups; ++g) sum += group_acc[g * head_dim + d];
    ws.acc[item * head_dim + d] = sum;
  }
  if (threadIdx.x == 0) {
    ws.max[item] = run_max;
    ws.sum[item] = run_sum;
  }
}

// grid (n_heads, n_seqs, z); dynamic shared memory: head_dim floats of q. Block z folds
// partitions z, z + Z, z + 2Z, ... (Z = gridDim.z) of kDecodePartition keys with an online
// softmax and writes one workspace item: the grid, and so a captured graph, does not grow with
// the context.
template <typename T>
__global__ void decode_partition_kernel(const float* q, int64_t q_stride, const T* k_cache,
                                        const T* v_cache, const AttentionSeqDesc* seqs,
                                        const int32_t* block_tables, int n_heads, int n_kv_heads,
                                        int head_dim, int block_size, float* workspace,
                                        float scale) {
  extern __shared__ float q_s[];
  __shared__ float scores[kDecodePartition];
  __shared__ int64_t rows[kDecodePartition];
  __shared__ float scratch[32];

  const int h = blockIdx.x, s = blockIdx.y, z = blockIdx.z, n_z = gridDim.z;
  const AttentionSeqDesc seq = seqs[s];
  const int32_t keys = seq.start_pos + 1;
  if (z * kDecodePartition >= keys) return;  // the merge reads only the items holding keys
  const int kvh = h / (n_heads / n_kv_heads);
  const int64_t kv_stride = int64_t{n_kv_heads} * head_dim;
  const int32_t* table = block_tables + seq.block_table_offset;
  const float* q_row = q + seq.first_token * q_stride + int64_t{h} * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) q_s[d] = q_row[d];

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  float run_max = -INFINITY, run_sum = 0.0f;
  float acc[kDimsPerThread];
  for (int j = 0; j < kDimsPerThread; ++j) acc[j] = 0.0f;

  for (int part = z; part * kDecodePartition < keys; part += n_z) {
    const int32_t p0 = part * kDecodePartition;
    const int n = min(kDecodePartition, keys - p0);
    __syncthreads();  // q_s is loaded; the previous partition's rows and scores are consumed
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
      const int32_t p = p0 + i;
      rows[i] = int64_t{table[p / block_size]} * block_size + p % block_size;
    }
    __syncthreads();

    // Scores: one warp per key, lanes over head_dim.
    for (int i = warp; i < n; i += kWarps) {
      const T* k = k_cache + rows[i] * kv_stride + int64_t{kvh} * head_dim;
      float dot = 0.0f;
      for (int d = lane; d < head_dim; d += 32) dot += q_s[d] * to_float(k[d]);
      dot = warp_sum(dot);
      if (lane == 0) scores[i] = dot * scale;
    }
    __syncthreads();

    const float rescale = fold_partition(scores, n, run_max, run_sum, scratch);
    for (int j = 0; j < kDimsPerThread; ++j) {
      const int d = threadIdx.x + j * kThreads;
      if (d >= head_dim) break;
      float part_acc = 0.0f;
      for (int i = 0; i < n; ++i)
        part_acc +=
            scores[i] * to_float(v_cache[rows[i] * kv_stride + int64_t{kvh} * head_dim + d]);
      acc[j] = acc[j] * rescale + part_acc;
    }
  }

  const size_t items = static_cast<size_t>(gridDim.y) * n_heads * n_z;
  const Workspace ws = split_workspace(workspace, items);
  const size_t item = (static_cast<size_t>(s) * n_heads + h) * n_z + z;
  for (int j = 0; j < kDimsPerThread; ++j) {
    const int d = threadIdx.x + j * kThreads;
    if (d < head_dim) ws.acc[item * head_dim + d] = acc[j];
  }
  if (threadIdx.x == 0) {
    ws.max[item] = run_max;
    ws.sum[item] = run_sum;
  }
}

// grid (n_heads, n_seqs): merges the items of the sequence's blocks along z.
template <typename T>
__global__ void decode_merge_kernel(const AttentionSeqDesc* seqs, int n_heads, int head_dim,
                                    int n_z, const float* workspace, T* out, int64_t out_stride) {
  const int h = blockIdx.x, s = blockIdx.y;
  const AttentionSeqDesc seq = seqs[s];
  const int partitions =
      (seq.start_pos + kDecodePartition) / kDecodePartition;  // keys = start_pos + 1
  const int used = min(partitions, n_z);
  const size_t items = static_cast<size_t>(gridDim.y) * n_heads * n_z;
  const Workspace ws = split_workspace(const_cast<float*>(workspace), items);
  const size_t first = (static_cast<size_t>(s) * n_heads + h) * n_z;
  float m = -INFINITY;
  for (int i = 0; i < used; ++i) m = fmaxf(m, ws.max[first + i]);
  float denom = 0.0f;
  for (int i = 0; i < used; ++i) denom += ws.sum[first + i] * expf(ws.max[first + i] - m);
  T* o = out + seq.first_token * out_stride + int64_t{h} * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float acc = 0.0f;
    for (int i = 0; i < used; ++i)
      acc += ws.acc[(first + i) * head_dim + d] * expf(ws.max[first + i] - m);
    o[d] = from_float<T>(acc / denom);
  }
}

}  // namespace

int decode_attention_vector_group(int head_dim, size_t element_bytes) {
  const int per_vector = static_cast<int>(16 / element_bytes);
  if (head_dim % per_vector != 0 || head_dim / per_vector > 32) return 0;
  int group = 1;
  while (group < head_dim / per_vector) group *= 2;
  return group;
}

int decode_attention_grid_z(int n_heads, int n_seqs, int max_splits) {
  const int64_t pairs = int64_t{n_heads} * n_seqs;
  const int64_t want = (kTargetBlocks + pairs - 1) / pairs;
  return static_cast<int>(std::clamp<int64_t>(want, 1, std::max(max_splits, 1)));
}

template <typename T>
void decode_attention(const float* q, int64_t q_stride, const T* k_cache, const T* v_cache,
                      const AttentionSeqDesc* seqs, int n_seqs, const int32_t* block_tables,
                      int n_heads, int n_kv_heads, int head_dim, int block_size, int max_splits,
                      float* workspace, T* out, int64_t out_stride, cudaStream_t stream) {
  if (n_seqs == 0) return;
  TPBENCH_CHECK(head_dim <= kMaxHeadDim && max_splits >= 1,
                "decode_attention: head_dim " + std::to_string(head_dim) + ", max_splits " +
                    std::to_string(max_splits));
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int n_z = decode_attention_grid_z(n_heads, n_seqs, max_splits);
  const dim3 grid(n_heads, n_seqs, n_z);
  const size_t q_bytes = head_dim * sizeof(float);
  const int group = decode_attention_vector_group(head_dim, sizeof(T));
  if (group > 0) {
    decode_partition_vec_kernel<T>
        <<<grid, kThreads, 0, stream>>>(q, q_stride, k_cache, v_cache, seqs, block_tables, n_heads,
                                        n_kv_heads, head_dim, block_size, group, workspace, scale);
  } else {
    decode_partition_kernel<T><<<grid, kThreads, q_bytes, stream>>>(
        q, q_stride, k_cache, v_cache, seqs, block_tables, n_heads, n_kv_heads, head_dim,
        block_size, workspace, scale);
  }
  CUDA_CHECK(cudaGetLastError());
  decode_merge_kernel<T><<<dim3(n_heads, n_seqs), kThreads, 0, stream>>>(
      seqs, n_heads, head_dim, n_z, workspace, out, out_stride);
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
