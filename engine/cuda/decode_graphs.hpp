#pragma once
// CUDA graphs of the decode step, one per batch-size bucket: a pure decode step of n sequences
// replays the graph of the smallest bucket >= n (its inputs padded to the bucket), so a step
// costs one graph launch instead of ~15 launches per layer.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/cuda/device_memory.hpp"
#include "engine/cuda/step_args.hpp"
#include "engine/cuda/step_metadata.hpp"

namespace tpbench {

// 1, 2, 4, 8, then every multiple of 8 up to max_rows, and max_rows itself.
std::vector<int32_t> decode_graph_buckets(int32_t max_rows);

// The fixed-address inputs of the decode graphs: one buffer laid out for max_rows rows, of
// which a graph for `bucket` rows reads the first `bucket` of each array. Row i's block table
// is at tables + i * max_blocks_per_seq.
struct DecodeGraphLayout {
  int32_t max_rows = 0;
  int32_t max_blocks_per_seq = 0;
  size_t ids = 0, positions = 0, slots = 0, seqs = 0, logit_rows = 0, tables = 0;  // offsets
  size_t bytes = 0;
};
DecodeGraphLayout decode_graph_layout(int32_t max_rows, int32_t max_blocks_per_seq);

// Writes the pure-decode step `m` into `staging` (layout.bytes) padded to `bucket` rows: padding
// row i decodes token 0 at position 0 of the spare block `pad_block`, and every row's logits
// are computed (those of padding rows are ignored). An empty `m` gives padding rows only.
void fill_decode_graph_inputs(const StepMetadata& m, int32_t bucket,
                              const DecodeGraphLayout& layout, int32_t pad_block, int block_size,
                              unsigned char* staging);

// The executable graphs, one per bucket.
class DecodeGraphs {
 public:
  DecodeGraphs() = default;
  ~DecodeGraphs();
  DecodeGraphs(const DecodeGraphs&) = delete;
  DecodeGraphs& operator=(const DecodeGraphs&) = delete;

  void set_buckets(std::vector<int32_t> buckets);
  const std::vector<int32_t>& buckets() const { return buckets_; }
  // The smallest bucket holding `rows`, or 0 when none does.
  int32_t bucket_for(int64_t rows) const;
  bool captured(int32_t bucket) const;
  int captured_count() const;
  // Records what `enqueue` puts on `stream` (nothing runs) as the graph of `bucket`.
  void capture(int32_t bucket, cudaStream_t stream, const std::function<void()>& enqueue);
  void launch(int32_t bucket, cudaStream_t stream) const;
  // Drops every graph (their buffers moved).
  void clear();

 private:
  size_t index_of(int32_t bucket) const;
  std::vector<int32_t> buckets_;
  std::vector<cudaGraphExec_t> execs_;  // per bucket; null until captured
};

// Capture and replay of the decode graphs of one forward pass: their fixed inputs, every
// bucket up to max_rows captured once the KV cache (which the graphs bake in) is allocated,
// and the replay of the steps that fit. The layer sequence comes in as `enqueue`, which must
// only queue stream work (no host sync, no allocation).
class DecodeGraphRunner {
 public:
  using Enqueue = std::function<void(const StepArgs&)>;

  // max_rows 0: graphs off. Graphs replay decode contexts up to the shorter of
  // max_position_embeddings and 8192 tokens (their inputs hold a block table that long per row,
  // uploaded every step); longer ones run eagerly.
  DecodeGraphRunner(int32_t max_rows, int32_t max_position_embeddings);

  bool enabled() const { return max_rows_ > 0; }
  int32_t max_rows() const { return max_rows_; }
  // Blocks past the scheduler's that the KV cache holds for the padding rows.
  int32_t spare_blocks() const { return enabled() ? 1 : 0; }

  // Drops every graph: the KV cache is about to move. The caller has synchronized the stream.
  void clear();
  // Lays out the inputs for `block_size`-token blocks, padding rows in block `pad_block` (the
  // first spare block); runs every bucket once eagerly (so that cuBLAS, every kernel and NCCL's
  // connections are set up outside any capture), then captures every bucket. Synchronizes
  // `stream`.
  void capture_all(int32_t pad_block, int block_size, cudaStream_t stream, const Enqueue& enqueue);
  // When `m` is a pure decode step that a graph holds: uploads its inputs, launches the graph
  // on `stream` and returns true. Otherwise queues nothing and returns false (run it eagerly).
  bool replay(const StepMetadata& m, cudaStream_t stream);

  // "cuda graphs for decode steps of up to 256 rows (35 of 35 buckets captured)" or
  // "cuda graphs off".
  std::string summary() const;

 private:
  StepArgs args(int32_t bucket) const;

  int32_t max_rows_ = 0;
  int splits_ = 0;  // decode-attention splits of the longest context a graph replays
  int32_t pad_block_ = 0;
  int block_size_ = 0;
  DecodeGraphLayout layout_;
  PinnedBuffer host_;
  DeviceArray<unsigned char> device_;
  DecodeGraphs graphs_;
};

}  // namespace tpbench
