#include "engine/cuda/decode_graphs.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/decode_attention.cuh"

namespace tpbench {

std::vector<int32_t> decode_graph_buckets(int32_t max_rows) {
  std::vector<int32_t> buckets;
  for (int32_t b : {1, 2, 4})
    if (b < max_rows) buckets.push_back(b);
  for (int32_t b = 8; b < max_rows; b += 8) buckets.push_back(b);
  if (max_rows > 0) buckets.push_back(max_rows);
  return buckets;
}

DecodeGraphLayout decode_graph_layout(int32_t max_rows, int32_t max_blocks_per_seq) {
  DecodeGraphLayout l;
  l.max_rows = max_rows;
  l.max_blocks_per_seq = max_blocks_per_seq;
  size_t at = 0;
  auto place = [&at](size_t bytes) {
    const size_t offset = at;
    at += device_aligned(bytes);
    return offset;
  };
  const size_t rows = static_cast<size_t>(max_rows);
  l.ids = place(rows * sizeof(int32_t));
  l.positions = place(rows * sizeof(int32_t));
  l.slots = place(rows * sizeof(int64_t));
  l.seqs = place(rows * sizeof(cuda::AttentionSeqDesc));
  l.logit_rows = place(rows * sizeof(int32_t));
  l.tables = place(rows * static_cast<size_t>(max_blocks_per_seq) * sizeof(int32_t));
  l.bytes = at;
  return l;
}

void fill_decode_graph_inputs(const StepMetadata& m, int32_t bucket, const DecodeGraphLayout& l,
                              int32_t pad_block, int block_size, unsigned char* staging) {
  const int64_t n = m.n_tokens();
  TPBENCH_CHECK(n == 0 || is_pure_decode(m),
                "decode graph inputs of a step that is not pure decode");
  TPBENCH_CHECK(n <= bucket && bucket <= l.max_rows,
                "decode graph of " + std::to_string(bucket) + " rows for " + std::to_string(n) +
                    " sequences (at most " + std::to_string(l.max_rows) + ")");
  auto* ids = reinterpret_cast<int32_t*>(staging + l.ids);
  auto* positions = reinterpret_cast<int32_t*>(staging + l.positions);
  auto* slots = reinterpret_cast<int64_t*>(staging + l.slots);
  auto* seqs = reinterpret_cast<cuda::AttentionSeqDesc*>(staging + l.seqs);
  auto* rows = reinterpret_cast<int32_t*>(staging + l.logit_rows);
  auto* tables = reinterpret_cast<int32_t*>(staging + l.tables);
  for (int32_t i = 0; i < bucket; ++i) {
    cuda::AttentionSeqDesc seq;
    seq.first_token = i;
    seq.n_tokens = 1;
    seq.block_table_offset = i * l.max_blocks_per_seq;
    int32_t* table = tables + seq.block_table_offset;
    if (i < n) {
      const cuda::AttentionSeqDesc& real = m.decode_seqs[i];
      TPBENCH_CHECK(real.first_token == i, "decode rows out of order");
      const int32_t used = real.start_pos / block_size + 1;
      TPBENCH_CHECK(used <= l.max_blocks_per_seq,
                    "decode at position " + std::to_string(real.start_pos) +
                        " beyond the graphs' " + std::to_string(l.max_blocks_per_seq) + " blocks");
      std::memcpy(table, m.block_tables.data() + real.block_table_offset, used * sizeof(int32_t));
      seq.start_pos = real.start_pos;
      ids[i] = m.ids[i];
      positions[i] = m.positions[i];
      slots[i] = m.slots[i];
    } else {
      table[0] = pad_block;
      seq.start_pos = 0;
      ids[i] = 0;
      positions[i] = 0;
      slots[i] = int64_t{pad_block} * block_size;
    }
    seqs[i] = seq;
    rows[i] = i;
  }
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

namespace {

// The longest context a decode graph replays: its inputs hold a block table of this many tokens
// per row, uploaded every step; steps with a longer context run eagerly.
constexpr int32_t kGraphMaxContext = 8192;

}  // namespace

DecodeGraphRunner::DecodeGraphRunner(int32_t max_rows, int32_t max_position_embeddings)
    : max_rows_(max_rows),
      splits_(cuda::decode_attention_splits(
          std::min<int32_t>(max_position_embeddings, kGraphMaxContext))) {}

void DecodeGraphRunner::clear() {
  graphs_.clear();
}

// The inputs live at fixed addresses; a graph of `bucket` rows reads their first `bucket`
// entries.
StepArgs DecodeGraphRunner::args(int32_t bucket) const {
  const unsigned char* base = device_.data();
  StepArgs a;
  a.rows = bucket;
  a.ids = reinterpret_cast<const int32_t*>(base + layout_.ids);
  a.positions = reinterpret_cast<const int32_t*>(base + layout_.positions);
  a.slots = reinterpret_cast<const int64_t*>(base + layout_.slots);
  a.tables = reinterpret_cast<const int32_t*>(base + layout_.tables);
  a.decode = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + layout_.seqs);
  a.n_decode = bucket;
  a.decode_splits = splits_;
  a.logit_rows = reinterpret_cast<const int32_t*>(base + layout_.logit_rows);
  a.n_logits = bucket;
  return a;
}

void DecodeGraphRunner::capture_all(int32_t pad_block, int block_size, cudaStream_t stream,
                                    const Enqueue& enqueue) {
  TPBENCH_CHECK(enabled(), "decode graphs captured with graphs off");
  pad_block_ = pad_block;
  block_size_ = block_size;
  // Tables for every context the splits check in replay() lets through.
  const int32_t max_blocks = (splits_ * cuda::kDecodePartition + block_size - 1) / block_size;
  layout_ = decode_graph_layout(max_rows_, max_blocks);
  host_.ensure(layout_.bytes);
  device_.ensure(layout_.bytes);
  graphs_.set_buckets(decode_graph_buckets(max_rows_));
  // One eager run of every bucket (all padding rows: each reads the first rows of these inputs)
  // first, so that cuBLAS, every kernel and NCCL's connections are set up outside any capture:
  // NCCL connects lazily, per algorithm and protocol, which depend on the size.
  fill_decode_graph_inputs(StepMetadata{}, max_rows_, layout_, pad_block_, block_size_,
                           host_.data());
  CUDA_CHECK(
      cudaMemcpyAsync(device_.data(), host_.data(), layout_.bytes, cudaMemcpyHostToDevice, stream));
  for (int32_t b : graphs_.buckets()) enqueue(args(b));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  for (int32_t b : graphs_.buckets()) graphs_.capture(b, stream, [&] { enqueue(args(b)); });
  CUDA_CHECK(cudaStreamSynchronize(stream));
}

bool DecodeGraphRunner::replay(const StepMetadata& m, cudaStream_t stream) {
  if (!enabled() || !is_pure_decode(m) || m.max_decode_splits > splits_) return false;
  const int32_t bucket = graphs_.bucket_for(m.n_tokens());
  if (bucket == 0) return false;
  fill_decode_graph_inputs(m, bucket, layout_, pad_block_, block_size_, host_.data());
  // The tables come last: the bucket's rows of them end what it reads.
  const size_t bytes = layout_.tables + size_t{static_cast<uint32_t>(bucket)} *
                                            layout_.max_blocks_per_seq * sizeof(int32_t);
  CUDA_CHECK(cudaMemcpyAsync(device_.data(), host_.data(), bytes, cudaMemcpyHostToDevice, stream));
  graphs_.launch(bucket, stream);
  return true;
}

std::string DecodeGraphRunner::summary() const {
  if (!enabled()) return "cuda graphs off";
  return "cuda graphs for decode steps of up to " + std::to_string(max_rows_) + " rows (" +
         std::to_string(graphs_.captured_count()) + " of " +
         std::to_string(graphs_.buckets().size()) + " buckets captured)";
}

}  // namespace tpbench
