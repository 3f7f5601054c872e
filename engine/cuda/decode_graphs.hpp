#pragma once
// CUDA graphs of the decode step, one per batch-size bucket: a pure decode step of n sequences
// replays the graph of the smallest bucket >= n (its inputs padded to the bucket), so a step
// costs one graph launch instead of ~15 launches per layer.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace tpbench {

// 1, 2, 4, 8, then every multiple of 8 up to max_rows, and max_rows itself.
std::vector<int32_t> decode_graph_buckets(int32_t max_rows);

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
  // Drops every graph (their buffers moved); they are captured again when next needed.
  void clear();

 private:
  size_t index_of(int32_t bucket) const;
  std::vector<int32_t> buckets_;
  std::vector<cudaGraphExec_t> execs_;  // per bucket; null until captured
};

}  // namespace tpbench
