#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "common/error.hpp"

#include "kernels/cuda/attention_limits.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/decode_attention.cuh"
#include "kernels/cuda/element.cuh"

namespace tpbench::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;

// Workspace layout, per (seq, head, z) item i = (seq * n_heads + head) * Z + z (Z = gridDim.z):
// max[i], sum[i] (of exp(score - max)) and acc[i][d] (sum of exp(score - max) * v[d]).
struct Workspace {
  float* max;
  float* sum;
  float* acc;
};

__host__ __device__ inline Workspace split_workspace(float* base, size_t items) {
  return {base, base + items, base + 2 * items};
}

// Where block (h, s, z) of a partition kernel puts its result: with one block per (sequence,
// head) (Z = 1) the normalised output itself, and no merge runs; else its workspace item.
template <typename T>
struct PartialResult {
  __device__ PartialResult(float* workspace, int n_seqs, int n_heads, int n_z, int s, int h,
                           int head_dim, T* out, int64_t out_row_offset)
      : direct(n_z == 1),
        ws(split_workspace(workspace, static_cast<size_t>(n_seqs) * n_heads * n_z)),
        item((static_cast<size_t>(s) * n_heads + h) * n_z + blockIdx.z),
        head_dim(head_dim),
        o(out + out_row_offset + int64_t{h} * head_dim) {}
  __device__ void store(int d, float acc, float run_sum) const {
    if (direct) {
      o[d] = from_float<T>(acc / run_sum);
    } else {
      ws.acc[item * head_dim + d] = acc;
    }
  }
  __device__ void store_softmax(float run_max, float run_sum) const {
    if (direct) return;
    ws.max[item] = run_max;
    ws.sum[item] = run_sum;
  }
  bool direct;
  Workspace ws;
  size_t item;
  int head_dim;
  T* o;
};

constexpr int kDimsPerThread = kMaxHeadDim / kThreads;

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

// rows[0, n) = the cache rows of positions p0 .. p0 + n - 1 (paged through `table`), written
// once every thread is done with the previous partition's rows and scores (and q is loaded),
// and visible to all on return.
__device__ void load_partition_rows(const int32_t* table, int block_size, int32_t p0, int n,
                                    int64_t* rows) {
  __syncthreads();
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const int32_t p = p0 + i;
    rows[i] = int64_t{table[p / block_size]} * block_size + p % block_size;
  }
  __syncthreads();
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
                                            float* workspace, T* out, int64_t out_stride,
                                            float scale) {
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
    load_partition_rows(table, block_size, p0, n, rows);

    // Every lane of a warp runs the same iterations, so the group reductions' shuffles are
    // warp-wide.
    // Two keys per group and iteration: both loads are in flight before either dot product.
    const int key_stride = kWarps * keys_per_warp;
    for (int base = warp * keys_per_warp; base < n; base += 2 * key_stride) {
      const int i0 = base + warp_group, i1 = i0 + key_stride;
      const bool has0 = active && i0 < n, has1 = active && i1 < n;
      float k0[kVec], k1[kVec];
      if (has0) load16(k_cache + rows[i0] * kv_stride + head_offset, k0);
      if (has1) load16(k_cache + rows[i1] * kv_stride + head_offset, k1);
      float dot0 = 0.0f, dot1 = 0.0f;
#pragma unroll
      for (int e = 0; e < kVec; ++e) {
        if (has0) dot0 += q_reg[e] * k0[e];
        if (has1) dot1 += q_reg[e] * k1[e];
      }
      for (int offset = group / 2; offset > 0; offset >>= 1) {
        dot0 += __shfl_xor_sync(0xffffffffu, dot0, offset);
        dot1 += __shfl_xor_sync(0xffffffffu, dot1, offset);
      }
      if (in_group == 0) {
        if (i0 < n) scores[i0] = dot0 * scale;
        if (i1 < n) scores[i1] = dot1 * scale;
      }
    }
    __syncthreads();

    const float rescale = fold_partition(scores, n, run_max, run_sum, scratch);
#pragma unroll
    for (int e = 0; e < kVec; ++e) acc[e] *= rescale;
    if (active) {
      // Four values in flight per lane, then the rest one by one.
      int i = group_id;
      for (; i + 3 * groups < n; i += 4 * groups) {
        float v0[kVec], v1[kVec], v2[kVec], v3[kVec];
        load16(v_cache + rows[i] * kv_stride + head_offset, v0);
        load16(v_cache + rows[i + groups] * kv_stride + head_offset, v1);
        load16(v_cache + rows[i + 2 * groups] * kv_stride + head_offset, v2);
        load16(v_cache + rows[i + 3 * groups] * kv_stride + head_offset, v3);
        const float p0 = scores[i], p1 = scores[i + groups], p2 = scores[i + 2 * groups],
                    p3 = scores[i + 3 * groups];
#pragma unroll
        for (int e = 0; e < kVec; ++e) acc[e] += p0 * v0[e] + p1 * v1[e] + p2 * v2[e] + p3 * v3[e];
      }
      for (; i < n; i += groups) {
        float v[kVec];
        load16(v_cache + rows[i] * kv_stride + head_offset, v);
        const float p = scores[i];
#pragma unroll
        for (int e = 0; e < kVec; ++e) acc[e] += p * v[e];
      }
    }
  }

  if (active) {
#pragma unroll
    for (int e = 0; e < kVec; ++e) group_acc[group_id * head_dim + dim0 + e] = acc[e];
  }
  __syncthreads();
  const PartialResult result(workspace, gridDim.y, n_heads, n_z, s, h, head_dim, out,
                             seq.first_token * out_stride);
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float sum = 0.0f;
    for (int g = 0; g < groups; ++g) sum += group_acc[g * head_dim + d];
    result.store(d, sum, run_sum);
  }
  if (threadIdx.x == 0) result.store_softmax(run_max, run_sum);
}

// grid (n_heads, n_seqs, z); dynamic shared memory: head_dim floats of q. Block z folds
// partitions z, z + Z, z + 2Z, ... (Z = gridDim.z) of kDecodePartition keys with an online
// softmax and writes one workspace item: the grid, and so a captured graph, does not grow with
// the context.
template <typename T>
__global__ void decode_partition_kernel(const float* q, int64_t q_stride, const T* k_cache,
                                        const T* v_cache, const AttentionSeqDesc* seqs,
                                        const int32_t* block_tables, int n_heads, int n_kv_heads,
                                        int head_dim, int block_size, float* workspace, T* out,
                                        int64_t out_stride, float scale) {
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
    load_partition_rows(table, block_size, p0, n, rows);

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

  const PartialResult result(workspace, gridDim.y, n_heads, n_z, s, h, head_dim, out,
                             seq.first_token * out_stride);
  for (int j = 0; j < kDimsPerThread; ++j) {
    const int d = threadIdx.x + j * kThreads;
    if (d < head_dim) result.store(d, acc[j], run_sum);
  }
  if (threadIdx.x == 0) result.store_softmax(run_max, run_sum);
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
  const int64_t want = (kDecodeTargetBlocks + pairs - 1) / pairs;
  return static_cast<int>(std::clamp<int64_t>(want, 1, std::max(max_splits, 1)));
}

template <typename T>
void decode_attention(const float* q, int64_t q_stride, const T* k_cache, const T* v_cache,
                      const AttentionSeqDesc* seqs, int n_seqs, const int32_t* block_tables,
                      int n_heads, int n_kv_heads, int head_dim, int block_size, int max_splits,
                      float* workspace, T* out, int64_t out_stride, cudaStream_t stream,
                      DecodeAttentionKernel kernel) {
  if (n_seqs == 0) return;
  TPBENCH_CHECK(head_dim <= kMaxHeadDim && max_splits >= 1 && n_kv_heads > 0 &&
                    n_heads % n_kv_heads == 0 && n_seqs <= 65535,
                "decode_attention: head_dim " + std::to_string(head_dim) + ", max_splits " +
                    std::to_string(max_splits) + ", heads " + std::to_string(n_heads) + "/" +
                    std::to_string(n_kv_heads) + ", sequences " + std::to_string(n_seqs));
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int n_z = decode_attention_grid_z(n_heads, n_seqs, max_splits);
  const dim3 grid(n_heads, n_seqs, n_z);
  // 16-byte loads need 16-byte aligned caches (row offsets are multiples of head_dim).
  const bool aligned =
      (reinterpret_cast<uintptr_t>(k_cache) | reinterpret_cast<uintptr_t>(v_cache)) % 16 == 0;
  const int group = aligned && kernel != DecodeAttentionKernel::kScalar
                        ? decode_attention_vector_group(head_dim, sizeof(T))
                        : 0;
  TPBENCH_CHECK(group > 0 || kernel != DecodeAttentionKernel::kVector,
                "decode_attention: no vectorised kernel for head_dim " + std::to_string(head_dim) +
                    " of " + std::to_string(sizeof(T)) + "-byte elements" +
                    (aligned ? std::string() : " (caches not 16-byte aligned)"));
  if (group > 0) {
    decode_partition_vec_kernel<T><<<grid, kThreads, 0, stream>>>(
        q, q_stride, k_cache, v_cache, seqs, block_tables, n_heads, n_kv_heads, head_dim,
        block_size, group, workspace, out, out_stride, scale);
  } else {
    decode_partition_kernel<T><<<grid, kThreads, head_dim * sizeof(float), stream>>>(
        q, q_stride, k_cache, v_cache, seqs, block_tables, n_heads, n_kv_heads, head_dim,
        block_size, workspace, out, out_stride, scale);
  }
  CUDA_CHECK(cudaGetLastError());
  if (n_z == 1) return;  // the partition kernel wrote the output
  decode_merge_kernel<T><<<dim3(n_heads, n_seqs), kThreads, 0, stream>>>(
      seqs, n_heads, head_dim, n_z, workspace, out, out_stride);
  CUDA_CHECK(cudaGetLastError());
}

#define TPBENCH_INSTANTIATE(T)                                                                 \
  template void decode_attention<T>(                                                           \
      const float*, int64_t, const T*, const T*, const AttentionSeqDesc*, int, const int32_t*, \
      int, int, int, int, int, float*, T*, int64_t, cudaStream_t, DecodeAttentionKernel);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
