#include "engine/cuda/cuda_forward.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "common/error.hpp"
#include "engine/cuda/decode_graphs.hpp"
#include "engine/cuda/device_memory.hpp"
#include "engine/cuda/device_weights.hpp"
#include "engine/cuda/step_timer.hpp"
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/decode_attention.cuh"
#include "kernels/cuda/embedding.cuh"
#include "kernels/cuda/linear.cuh"
#include "kernels/cuda/prefill_attention.cuh"
#include "kernels/cuda/rmsnorm.cuh"
#include "kernels/cuda/rope_kv_cache.cuh"
#include "kernels/cuda/sample_rows.cuh"
#include "kernels/cuda/silu_mul.cuh"

namespace tpbench {
namespace {

// Packs the step's host arrays into one pinned buffer and uploads it with one copy.
class MetadataUpload {
 public:
  template <typename E>
  size_t add(const std::vector<E>& v) {
    const size_t offset = bytes_;
    parts_.push_back({v.data(), v.size() * sizeof(E), offset});
    bytes_ += device_aligned(v.size() * sizeof(E));
    return offset;
  }
  void upload(PinnedBuffer& host, DeviceArray<unsigned char>& device, cudaStream_t stream) {
    host.ensure(bytes_);
    device.ensure(bytes_);
    for (const Part& p : parts_)
      if (p.bytes > 0) std::memcpy(host.data() + p.offset, p.data, p.bytes);
    if (bytes_ > 0)
      CUDA_CHECK(
          cudaMemcpyAsync(device.data(), host.data(), bytes_, cudaMemcpyHostToDevice, stream));
  }

 private:
  struct Part {
    const void* data;
    size_t bytes;
    size_t offset;
  };
  std::vector<Part> parts_;
  size_t bytes_ = 0;
};

// The longest context a decode graph replays: its inputs hold a block table of this many tokens
// per row, uploaded every step; steps with a longer context run eagerly.
constexpr int32_t kGraphMaxContext = 8192;

// Device pointers and counts of one step, as the kernels read them.
struct StepArgs {
  int64_t rows = 0;
  const int32_t* ids = nullptr;
  const int32_t* positions = nullptr;
  const int64_t* slots = nullptr;
  const int32_t* tables = nullptr;
  const cuda::AttentionSeqDesc* decode = nullptr;
  int n_decode = 0;
  int decode_splits = 0;
  const cuda::AttentionSeqDesc* prefill = nullptr;
  const cuda::PrefillTile* tiles = nullptr;
  int n_tiles = 0;
  const int32_t* logit_rows = nullptr;
  int64_t n_logits = 0;
};

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, __half>) return DType::kFloat16;
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return DType::kBFloat16;
  return DType::kFloat32;
}

template <typename T>
class TypedForwardPass final : public ForwardPass {
 public:
  TypedForwardPass(const ForwardContext& context, ModelWeights&& host_weights)
      : ctx_(context), w_(std::move(host_weights), context.config, context.shard) {
    const ModelConfig& c = ctx_.config;
    D_ = c.hidden_size;
    hd_ = c.head_dim;
    I_ = ctx_.shard.intermediate;
    qw_ = int64_t{ctx_.shard.heads} * hd_;
    kvw_ = int64_t{ctx_.shard.kv_heads} * hd_;
    qkv_w_ = qw_ + 2 * kvw_;
    inv_freq_.ensure(ctx_.inv_freq.size());
    CUDA_CHECK(cudaMemcpy(inv_freq_.data(), ctx_.inv_freq.data(),
                          ctx_.inv_freq.size() * sizeof(float), cudaMemcpyHostToDevice));
    // Decode steps hold at most one row per sequence of the batch: reserve_logit_rows.
    const int32_t max_batch = static_cast<int32_t>(std::max<int64_t>(ctx_.reserve_logit_rows, 1));
    graph_rows_ = ctx_.cuda_graphs ? max_batch : 0;
    graph_splits_ = cuda::decode_attention_splits(
        std::min<int32_t>(c.max_position_embeddings, kGraphMaxContext));
    reserve(std::max<int64_t>(ctx_.reserve_tokens, graph_rows_), max_batch);
    // Everything the graphs bake in is allocated before the KV cache is sized from free memory.
    // Decode attention's workspace, for the largest batch at the longest context, never grows.
    decode_ws_.ensure(cuda::decode_attention_workspace_floats(
        max_batch, ctx_.shard.heads, static_cast<int>(hd_),
        cuda::decode_attention_splits(c.max_position_embeddings)));
    tokens_dev_.ensure(std::max<int64_t>(ctx_.reserve_logit_rows, 1));
    // A run that samples gets its sampling workspace now, before the KV cache takes its share.
    if (ctx_.reserve_sampling && ctx_.reserve_logit_rows > 0) {
      sample_ws_.ensure(cuda::sample_rows_workspace_bytes(ctx_.reserve_logit_rows, c.vocab_size));
      sample_params_dev_.ensure(ctx_.reserve_logit_rows * sizeof(cuda::SampleRowParams));
    }
    if (ctx_.tuning.decode_attention == cuda::DecodeAttentionKernel::kVector &&
        cuda::decode_attention_vector_group(static_cast<int>(hd_), sizeof(T)) == 0)
      throw InputError("--decode-attention vector: no vectorised decode attention for head_dim " +
                       std::to_string(hd_) + " in " + dtype_name(dtype_of<T>()));
    // The weights and inv_freq went up with cudaMemcpy from pageable memory on the legacy
    // stream, which may return before the copy lands; compute runs on a non-blocking stream
    // that is not ordered after it.
    CUDA_CHECK(cudaDeviceSynchronize());
  }

  int64_t weight_bytes() const override { return w_.bytes; }

  cudaError_t allocate_kv(int32_t num_blocks, int block_size) override {
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    graphs_.clear();
    const int32_t spare = graph_rows_ > 0 ? 1 : 0;  // the padding rows' block
    const size_t per_layer = static_cast<size_t>(num_blocks + spare) * block_size * kvw_;
    const cudaError_t err = kv_.try_ensure(per_layer * 2 * ctx_.config.num_layers);
    if (err != cudaSuccess) return err;
    num_blocks_ = num_blocks;
    block_size_ = block_size;
    kv_per_layer_ = per_layer;
    if (graph_rows_ > 0) capture_decode_graphs();
    return cudaSuccess;
  }

  void forward(const StepMetadata& m, std::vector<float>& logits, bool copy_logits) override {
    logits.clear();
    const float* full = run(m);
    const int64_t n = static_cast<int64_t>(m.logit_rows.size());
    if (copy_logits && n > 0) {
      logits.resize(n * ctx_.config.vocab_size);
      CUDA_CHECK(cudaMemcpyAsync(logits.data(), full, logits.size() * sizeof(float),
                                 cudaMemcpyDeviceToHost, ctx_.stream));
    }
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    end_timing();
  }

  void forward_sampled(const StepMetadata& m, const std::vector<SamplingRow>& rows,
                       std::vector<int32_t>& tokens) override {
    const int64_t n = static_cast<int64_t>(m.logit_rows.size());
    TPBENCH_CHECK(
        static_cast<int64_t>(rows.size()) == n,
        std::to_string(rows.size()) + " sampling rows for " + std::to_string(n) + " logit rows");
    float* full = run(m);
    tokens.resize(n);
    if (n == 0) {  // chunked prefill, no chunk ends this step: still one step, fully done
      CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
      end_timing();
      return;
    }
    const cudaStream_t st = ctx_.stream;
    sample_params_.clear();
    for (int64_t r = 0; r < n; ++r) {
      const SamplingRow& row = rows[r];
      if (is_greedy(row.params)) continue;
      cuda::SampleRowParams p;
      p.row = static_cast<int32_t>(r);
      p.top_k = row.params.top_k;
      p.top_p = row.params.top_p;
      p.temperature = row.params.temperature;
      p.stream_key = row.stream_key;
      p.draw_index = row.draw_index;
      sample_params_.push_back(p);
    }
    const int n_sampled = static_cast<int>(sample_params_.size());
    const int64_t V = ctx_.config.vocab_size;
    if (n_sampled > 0) {
      const size_t param_bytes = sample_params_.size() * sizeof(cuda::SampleRowParams);
      const size_t ws_bytes = cuda::sample_rows_workspace_bytes(n_sampled, V);
      if (ws_bytes > sample_ws_.capacity() || param_bytes > sample_params_dev_.capacity()) {
        CUDA_CHECK(cudaStreamSynchronize(st));  // the step's queued work keeps its buffers
        sample_ws_.ensure(ws_bytes);
        sample_params_dev_.ensure(param_bytes);
      }
      sample_params_host_.ensure(param_bytes);
      std::memcpy(sample_params_host_.data(), sample_params_.data(), param_bytes);
      CUDA_CHECK(cudaMemcpyAsync(sample_params_dev_.data(), sample_params_host_.data(), param_bytes,
                                 cudaMemcpyHostToDevice, st));
    }
    if (static_cast<size_t>(n) > tokens_dev_.capacity()) {
      CUDA_CHECK(cudaStreamSynchronize(st));
      tokens_dev_.ensure(n);
    }
    cuda::sample_rows(full, n, V,
                      reinterpret_cast<const cuda::SampleRowParams*>(sample_params_dev_.data()),
                      n_sampled, sample_ws_.data(), sample_ws_.capacity(), tokens_dev_.data(), st);
    tokens_host_.ensure(n * sizeof(int32_t));
    CUDA_CHECK(cudaMemcpyAsync(tokens_host_.data(), tokens_dev_.data(), n * sizeof(int32_t),
                               cudaMemcpyDeviceToHost, st));
    lap(StepPhase::kSampling);
    CUDA_CHECK(cudaStreamSynchronize(st));
    end_timing();
    std::memcpy(tokens.data(), tokens_host_.data(), n * sizeof(int32_t));
  }

  std::string graph_summary() const override {
    if (graph_rows_ == 0) return "cuda graphs off";
    return "cuda graphs for decode steps of up to " + std::to_string(graph_rows_) + " rows (" +
           std::to_string(graphs_.captured_count()) + " of " +
           std::to_string(graphs_.buckets().size()) + " buckets captured)";
  }

 private:
  // Queues the step; returns the device logits [meta.logit_rows.size(), vocab] (valid once the
  // stream gets there).
  float* run(const StepMetadata& m) {
    TPBENCH_CHECK(kv_.data() != nullptr, "forward before allocate_kv");
    timing_ = nullptr;
    if (m.n_tokens() == 0) return full_logits();
    StepTimer* timer = ctx_.tuning.step_timer;
    if (timer != nullptr && timer->active()) {  // an eager step, its kernel groups timed
      timing_ = timer;
      timing_->begin(ctx_.stream);
      return run_eager(m);
    }
    const bool replayable =
        graph_rows_ > 0 && is_pure_decode(m) && m.max_decode_splits <= graph_splits_;
    const int32_t bucket = replayable ? graphs_.bucket_for(m.n_tokens()) : 0;
    if (bucket > 0) {
      fill_decode_graph_inputs(m, bucket, layout_, num_blocks_, block_size_, graph_host_.data());
      // The tables come last: the bucket's rows of them end what it reads.
      const size_t bytes = layout_.tables + size_t{static_cast<uint32_t>(bucket)} *
                                                layout_.max_blocks_per_seq * sizeof(int32_t);
      CUDA_CHECK(cudaMemcpyAsync(graph_dev_.data(), graph_host_.data(), bytes,
                                 cudaMemcpyHostToDevice, ctx_.stream));
      if (!graphs_.captured(bucket)) capture(bucket);
      graphs_.launch(bucket, ctx_.stream);
      return full_logits();
    }
    return run_eager(m);
  }

  float* run_eager(const StepMetadata& m) {
    const int64_t T_rows = m.n_tokens();
    const int64_t n_logits = static_cast<int64_t>(m.logit_rows.size());
    reserve(T_rows, n_logits);
    TPBENCH_CHECK(cuda::decode_attention_workspace_floats(
                      static_cast<int>(m.decode_seqs.size()), ctx_.shard.heads,
                      static_cast<int>(hd_), m.max_decode_splits) <= decode_ws_.capacity(),
                  std::to_string(m.decode_seqs.size()) + " decoding sequences: more than the " +
                      "batch the decode-attention workspace was sized for");
    MetadataUpload up;
    const size_t o_ids = up.add(m.ids), o_pos = up.add(m.positions), o_slots = up.add(m.slots),
                 o_bt = up.add(m.block_tables), o_dec = up.add(m.decode_seqs),
                 o_pre = up.add(m.prefill_seqs), o_tiles = up.add(m.prefill_tiles),
                 o_rows = up.add(m.logit_rows);
    up.upload(meta_host_, meta_dev_, ctx_.stream);
    lap(StepPhase::kUpload);
    unsigned char* base = meta_dev_.data();
    StepArgs a;
    a.rows = T_rows;
    a.ids = reinterpret_cast<const int32_t*>(base + o_ids);
    a.positions = reinterpret_cast<const int32_t*>(base + o_pos);
    a.slots = reinterpret_cast<const int64_t*>(base + o_slots);
    a.tables = reinterpret_cast<const int32_t*>(base + o_bt);
    a.decode = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + o_dec);
    a.n_decode = static_cast<int>(m.decode_seqs.size());
    a.decode_splits = m.max_decode_splits;
    a.prefill = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + o_pre);
    a.tiles = reinterpret_cast<const cuda::PrefillTile*>(base + o_tiles);
    a.n_tiles = static_cast<int>(m.prefill_tiles.size());
    a.logit_rows = reinterpret_cast<const int32_t*>(base + o_rows);
    a.n_logits = n_logits;
    enqueue_model(a);
    return full_logits();
  }

  // The decode graphs' inputs live at fixed addresses; a graph of `bucket` rows reads its
  // first `bucket` entries (padding rows decode token 0 in the spare block num_blocks_).
  StepArgs graph_args(int32_t bucket) const {
    const unsigned char* base = graph_dev_.data();
    StepArgs a;
    a.rows = bucket;
    a.ids = reinterpret_cast<const int32_t*>(base + layout_.ids);
    a.positions = reinterpret_cast<const int32_t*>(base + layout_.positions);
    a.slots = reinterpret_cast<const int64_t*>(base + layout_.slots);
    a.tables = reinterpret_cast<const int32_t*>(base + layout_.tables);
    a.decode = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + layout_.seqs);
    a.n_decode = bucket;
    a.decode_splits = graph_splits_;
    a.logit_rows = reinterpret_cast<const int32_t*>(base + layout_.logit_rows);
    a.n_logits = bucket;
    return a;
  }

  void capture(int32_t bucket) {
    graphs_.capture(bucket, ctx_.stream, [&] { enqueue_model(graph_args(bucket)); });
  }

  void capture_decode_graphs() {
    // Tables for every context the splits check lets through.
    const int32_t max_blocks =
        (graph_splits_ * cuda::kDecodePartition + block_size_ - 1) / block_size_;
    layout_ = decode_graph_layout(graph_rows_, max_blocks);
    graph_host_.ensure(layout_.bytes);
    graph_dev_.ensure(layout_.bytes);
    graphs_.set_buckets(decode_graph_buckets(graph_rows_));
    // One eager run of every bucket (all padding rows: each reads the first rows of these
    // inputs) first, so that cuBLAS, every kernel and NCCL's connections are set up outside any
    // capture: NCCL connects lazily, per algorithm and protocol, which depend on the size.
    fill_decode_graph_inputs(StepMetadata{}, graph_rows_, layout_, num_blocks_, block_size_,
                             graph_host_.data());
    CUDA_CHECK(cudaMemcpyAsync(graph_dev_.data(), graph_host_.data(), layout_.bytes,
                               cudaMemcpyHostToDevice, ctx_.stream));
    for (int32_t b : graphs_.buckets()) enqueue_model(graph_args(b));
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    for (int32_t b : graphs_.buckets()) capture(b);
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
  }

  // The whole model on the step's rows, through the LM head: the kernel sequence of
  // CpuModelRunner. Only stream work (no host sync, no allocation): graphs capture it.
  void enqueue_model(const StepArgs& a) {
    const ModelConfig& c = ctx_.config;
    const TpShard& s = ctx_.shard;
    const cudaStream_t st = ctx_.stream;
    const float eps = static_cast<float>(c.rms_norm_eps);
    const int64_t T_rows = a.rows;
    float* x = x_.data();
    float* delta = delta_.data();
    float* work = work_.data();
    T* h = h_.data();
    T* act = act_.data();
    cuda::embedding_gather<T>(w_.embedding, D_, a.ids, T_rows, x, st);
    lap(StepPhase::kEmbedding);
    for (int l = 0; l < c.num_layers; ++l) {
      const DeviceLayer<T>& L = w_.layers[l];
      T* k_cache = kv_.data() + (2 * static_cast<size_t>(l)) * kv_per_layer_;
      T* v_cache = k_cache + kv_per_layer_;
      // Attention block; the previous block's output joins the residual stream here.
      if (l == 0) {
        cuda::rmsnorm<T>(x, L.attn_norm, T_rows, D_, eps, h, st);
      } else {
        cuda::add_rmsnorm<T>(x, delta, L.attn_norm, nullptr, T_rows, D_, eps, h, st);
      }
      lap(StepPhase::kRmsnorm);
      cuda::linear<T>(ctx_.cublas, h, T_rows, D_, L.qkv, qkv_w_, L.qkv_bias, work, st);
      lap(StepPhase::kQkvGemm);
      cuda::rope_write_kv_cache<T>(work, work + qw_, work + qw_ + kvw_, qkv_w_, inv_freq_.data(),
                                   a.positions, a.slots, T_rows, s.heads, s.kv_heads, hd_, k_cache,
                                   v_cache, st);
      lap(StepPhase::kRopeKvWrite);
      cuda::decode_attention<T>(work, qkv_w_, k_cache, v_cache, a.decode, a.n_decode, a.tables,
                                s.heads, s.kv_heads, hd_, block_size_, a.decode_splits,
                                decode_ws_.data(), act, qw_, st, ctx_.tuning.decode_attention);
      cuda::prefill_attention<T>(work, qkv_w_, k_cache, v_cache, a.prefill, a.tables, a.tiles,
                                 a.n_tiles, s.heads, s.kv_heads, hd_, block_size_, act, qw_, st);
      lap(StepPhase::kAttention);
      // Row-parallel o_proj: partial sums over this rank's heads; the bias is added once.
      cuda::linear<T>(ctx_.cublas, act, T_rows, qw_, L.wo, D_, s.rank == 0 ? L.o_bias : nullptr,
                      delta, st);
      lap(StepPhase::kOGemm);
      all_reduce(delta, T_rows * D_);
      // MLP block (SwiGLU).
      cuda::add_rmsnorm<T>(x, delta, L.ffn_norm, nullptr, T_rows, D_, eps, h, st);
      lap(StepPhase::kRmsnorm);
      cuda::linear<T>(ctx_.cublas, h, T_rows, D_, L.gate_up, 2 * I_, L.gate_up_bias, work, st);
      lap(StepPhase::kGateUpGemm);
      cuda::silu_mul<T>(work, work + I_, 2 * I_, T_rows, I_, act, st);
      lap(StepPhase::kSilu);
      // Row-parallel down_proj: its bias too is added once.
      cuda::linear<T>(ctx_.cublas, act, T_rows, I_, L.down, D_, s.rank == 0 ? L.down_bias : nullptr,
                      delta, st);
      lap(StepPhase::kDownGemm);
      all_reduce(delta, T_rows * D_);
    }
    if (a.n_logits > 0) enqueue_logits(a.logit_rows, a.n_logits);
    lap(StepPhase::kLmHead);
  }

  // Sums the ranks' fp32 partial sums `data` (docs/ARCHITECTURE.md, "where the all-reduce
  // rounds"). In the model's dtype (the default): each rank rounds its partials to T, NCCL sums
  // in T, and the sum comes back to fp32 for the residual stream.
  void all_reduce(float* data, int64_t count) {
    if (ctx_.device_comm == nullptr) return;
    if (!std::is_same_v<T, float> && ctx_.tuning.all_reduce == AllReduceDType::kModel) {
      cuda::float_to_element<T>(data, count, reduce_buf_.data(), ctx_.stream);
      ctx_.device_comm->all_reduce_sum_as(reduce_buf_.data(), count, dtype_of<T>());
      cuda::element_to_float<T>(reduce_buf_.data(), count, data, ctx_.stream);
    } else {
      ctx_.device_comm->all_reduce_sum(data, count);
    }
    lap(StepPhase::kAllReduce);
  }

  void lap(StepPhase phase) {
    if (timing_ != nullptr) timing_->lap(phase);
  }

  void end_timing() {
    if (timing_ != nullptr) timing_->end();
    timing_ = nullptr;
  }

  // Final norm on the rows that want logits, the LM head on this rank's vocabulary slice, and
  // (TP) an all-gather whose [tp, n, local vocab] result is reordered into [n, vocab].
  void enqueue_logits(const int32_t* rows, int64_t n) {
    const ModelConfig& c = ctx_.config;
    const TpShard& s = ctx_.shard;
    const cudaStream_t st = ctx_.stream;
    const int64_t V = c.vocab_size, Vl = s.vocab;
    cuda::add_rmsnorm<T>(x_.data(), delta_.data(), w_.final_norm, rows, n, D_,
                         static_cast<float>(c.rms_norm_eps), h_.data(), st);
    cuda::linear<T>(ctx_.cublas, h_.data(), n, D_, w_.lm_head, Vl, nullptr, local_logits_.data(),
                    st);
    if (s.size == 1) return;
    ctx_.device_comm->all_gather(local_logits_.data(), gathered_.data(), n * Vl);
    for (int r = 0; r < s.size; ++r)
      CUDA_CHECK(cudaMemcpy2DAsync(full_logits_.data() + r * Vl, V * sizeof(float),
                                   gathered_.data() + r * n * Vl, Vl * sizeof(float),
                                   Vl * sizeof(float), n, cudaMemcpyDeviceToDevice, st));
  }

  float* full_logits() { return ctx_.shard.size == 1 ? local_logits_.data() : full_logits_.data(); }

  // Activations for `tokens` rows and `logit_rows` logit rows (grows only; a growth moves
  // buffers the graphs baked in, so they are dropped and captured again when next needed).
  void reserve(int64_t tokens, int64_t logit_rows) {
    const int64_t tp = ctx_.shard.size, Vl = ctx_.shard.vocab;
    const bool grow_tokens = static_cast<size_t>(tokens * D_) > x_.capacity();
    const bool grow_logits = static_cast<size_t>(logit_rows * Vl) > local_logits_.capacity();
    if (!grow_tokens && !grow_logits) return;
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    graphs_.clear();
    if (grow_tokens) {
      x_.ensure(tokens * D_);
      delta_.ensure(tokens * D_);
      h_.ensure(tokens * D_);
      if (ctx_.device_comm != nullptr && !std::is_same_v<T, float>) reduce_buf_.ensure(tokens * D_);
      work_.ensure(tokens * std::max(qkv_w_, 2 * I_));
      act_.ensure(tokens * std::max(qw_, I_));
    }
    if (grow_logits) {
      local_logits_.ensure(logit_rows * Vl);
      if (tp > 1) {
        gathered_.ensure(tp * logit_rows * Vl);
        full_logits_.ensure(tp * logit_rows * Vl);
      }
    }
  }

  ForwardContext ctx_;
  DeviceWeights<T> w_;
  int64_t D_ = 0, hd_ = 0, I_ = 0, qw_ = 0, kvw_ = 0, qkv_w_ = 0;
  DeviceArray<float> inv_freq_;
  DeviceArray<T> kv_;  // per layer: k [rows, kv_heads, hd], then v
  size_t kv_per_layer_ = 0;
  int32_t num_blocks_ = 0;
  int block_size_ = 0;
  DeviceArray<float> x_, delta_, work_, local_logits_, gathered_, full_logits_, decode_ws_;
  DeviceArray<T> h_, act_;
  DeviceArray<T> reduce_buf_;  // the partial sums in T for the all-reduce
  PinnedBuffer meta_host_;
  DeviceArray<unsigned char> meta_dev_;
  // Decode graphs.
  int32_t graph_rows_ = 0;  // 0: off
  int graph_splits_ = 0;    // decode-attention splits of the longest context a graph replays
  DecodeGraphLayout layout_;
  PinnedBuffer graph_host_;
  DeviceArray<unsigned char> graph_dev_;
  DecodeGraphs graphs_;
  // Sampling.
  std::vector<cuda::SampleRowParams> sample_params_;
  PinnedBuffer sample_params_host_, tokens_host_;
  DeviceArray<unsigned char> sample_params_dev_, sample_ws_;
  DeviceArray<int32_t> tokens_dev_;
  StepTimer* timing_ = nullptr;  // the step being timed (tuning.step_timer while active)
};

}  // namespace

std::unique_ptr<ForwardPass> make_forward_pass(DType dtype, const ForwardContext& context,
                                               ModelWeights&& host_weights) {
  switch (dtype) {
    case DType::kFloat32:
      return std::make_unique<TypedForwardPass<float>>(context, std::move(host_weights));
    case DType::kFloat16:
      return std::make_unique<TypedForwardPass<__half>>(context, std::move(host_weights));
    case DType::kBFloat16:
      return std::make_unique<TypedForwardPass<__nv_bfloat16>>(context, std::move(host_weights));
  }
  TPBENCH_CHECK(false, "unknown dtype");
}

}  // namespace tpbench
