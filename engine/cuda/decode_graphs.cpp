#include "engine/cuda/decode_graphs.hpp"

#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {

std::vector<int32_t> decode_graph_buckets(int32_t max_rows) {
  std::vector<int32_t> buckets;
  for (int32_t b : {1, 2, 4})
    if (b < max_rows) buckets.push_back(b);
  for (int32_t b = 8; b < max_rows; b += 8) buckets.push_back(b);
  if (max_rows > 0) buckets.push_back(max_rows);
  return buckets;
}

DecodeGraphs::~DecodeGraphs() {
  clear();
}

void DecodeGraphs::set_buckets(std::vector<int32_t> buckets) {
  clear();
  TPBENCH_CHECK(std::is_sorted(buckets.begin(), buckets.end()), "decode graph buckets unsorted");
  buckets_ = std::move(buckets);
  execs_.assign(buckets_.size(), nullptr);
}

int32_t DecodeGraphs::bucket_for(int64_t rows) const {
  const auto it = std::lower_bound(buckets_.begin(), buckets_.end(), rows);
  return it == buckets_.end() ? 0 : *it;
}

size_t DecodeGraphs::index_of(int32_t bucket) const {
  const auto it = std::lower_bound(buckets_.begin(), buckets_.end(), bucket);
  TPBENCH_CHECK(it != buckets_.end() && *it == bucket,
                "no decode graph bucket of " + std::to_string(bucket) + " rows");
  return static_cast<size_t>(it - buckets_.begin());
}

bool DecodeGraphs::captured(int32_t bucket) const {
  return execs_[index_of(bucket)] != nullptr;
}

int DecodeGraphs::captured_count() const {
  return static_cast<int>(
      std::count_if(execs_.begin(), execs_.end(), [](cudaGraphExec_t e) { return e != nullptr; }));
}

void DecodeGraphs::capture(int32_t bucket, cudaStream_t stream,
                           const std::function<void()>& enqueue) {
  const size_t i = index_of(bucket);
  if (execs_[i] != nullptr) {
    (void)cudaGraphExecDestroy(execs_[i]);
    execs_[i] = nullptr;
  }
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    enqueue();
  } catch (...) {
    (void)cudaStreamEndCapture(stream, &graph);
    if (graph != nullptr) (void)cudaGraphDestroy(graph);
    throw;
  }
  CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  const cudaError_t instantiated = cudaGraphInstantiate(&execs_[i], graph, 0);
  (void)cudaGraphDestroy(graph);
  CUDA_CHECK(instantiated);
  CUDA_CHECK(cudaGraphUpload(execs_[i], stream));
}

void DecodeGraphs::launch(int32_t bucket, cudaStream_t stream) const {
  const cudaGraphExec_t exec = execs_[index_of(bucket)];
  TPBENCH_CHECK(exec != nullptr, "decode graph of " + std::to_string(bucket) + " not captured");
  CUDA_CHECK(cudaGraphLaunch(exec, stream));
}

void DecodeGraphs::clear() {
  for (cudaGraphExec_t& e : execs_) {
    if (e != nullptr) (void)cudaGraphExecDestroy(e);
    e = nullptr;
  }
}

}  // namespace tpbench
