#pragma once
// Decode attention over the paged KV cache, split over the context (flash-decoding): the
// context is cut into partitions of kDecodePartition keys; each (sequence, head, z) block folds
// every Z-th partition into a partial softmax (online), a second kernel merges the Z partials.
// Z = decode_attention_grid_z: few sequences split their context over many blocks, many
// sequences need no split; the grid never grows with the context. CPU twin: cpu::paged_attention
// (kernels/cpu) on chunks of one query.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/attention_seq.hpp"

namespace tpbench::cuda {

inline constexpr int kDecodePartition = 256;  // keys per split

// Blocks a launch aims for: enough to fill an H100-class GPU several times over. Fewer
// (sequence, head) pairs than this split the context across grid z.
inline constexpr int kDecodeTargetBlocks = 1024;

// Splits a context of `keys` keys is cut into.
inline int decode_attention_splits(int64_t keys) {
  return static_cast<int>((keys + kDecodePartition - 1) / kDecodePartition);
}

// The lanes that read one row of a head with 16-byte loads (a power of two), or 0 when a row of
// head_dim elements of element_bytes is not whole vectors, or more than 32 of them: then the
// scalar kernel runs.
int decode_attention_vector_group(int head_dim, size_t element_bytes);

// Which partition kernel decode_attention runs. kAuto: the vectorised one when
// decode_attention_vector_group allows it and the caches are 16-byte aligned, else the scalar
// one. kScalar: the scalar one always. kVector: the vectorised one, an error when it cannot run.
// (Benchmarks compare them; the engine runs kAuto.)
enum class DecodeAttentionKernel { kAuto, kScalar, kVector };

// The z extent of the launch for n_seqs sequences of n_heads heads, at most max_splits.
int decode_attention_grid_z(int n_heads, int n_seqs, int max_splits);

// Floats of the workspace decode_attention needs. Its items are pairs x z with pairs = n_seqs x
// n_heads and z <= min(max_splits, ceil(kDecodeTargetBlocks / pairs)); the bound grows with
// n_seqs, so a workspace sized for the largest batch serves every smaller one.
inline size_t decode_attention_workspace_floats(int n_seqs, int n_heads, int head_dim,
                                                int max_splits) {
  const int64_t pairs = int64_t{n_seqs} * n_heads;
  const int64_t items =
      std::min<int64_t>(pairs * std::max(max_splits, 1), pairs + kDecodeTargetBlocks - 1);
  return static_cast<size_t>(items) * (head_dim + 2);
}

// Each seqs[s] (n_tokens must be 1) has its query at row first_token of q (fp32; head h at
// q + row * q_stride + h * head_dim) and attends to the cached keys of positions
// [0, start_pos]; position p is cache row block_tables[block_table_offset + p / block_size] *
// block_size + p % block_size of k_cache / v_cache [rows, n_kv_heads, head_dim] (T). Query head h
// reads KV head h / (n_heads / n_kv_heads); scores are scaled by 1/sqrt(head_dim). The result
// goes to out + row * out_stride + h * head_dim (T); head_dim <= 256. max_splits >= 1 bounds z
// (any value is correct; decode_attention_splits of the longest context is the useful most);
// workspace holds decode_attention_workspace_floats.
template <typename T>
void decode_attention(const float* q, int64_t q_stride, const T* k_cache, const T* v_cache,
                      const AttentionSeqDesc* seqs, int n_seqs, const int32_t* block_tables,
                      int n_heads, int n_kv_heads, int head_dim, int block_size, int max_splits,
                      float* workspace, T* out, int64_t out_stride, cudaStream_t stream,
                      DecodeAttentionKernel kernel = DecodeAttentionKernel::kAuto);

}  // namespace tpbench::cuda
