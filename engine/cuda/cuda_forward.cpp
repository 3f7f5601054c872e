#include "engine/cuda/cuda_forward.hpp"

#include <algorithm>
#include <type_traits>

#include "common/error.hpp"
#include "engine/cuda/activation_arena.hpp"
#include "engine/cuda/decode_graphs.hpp"
#include "engine/cuda/device_memory.hpp"
#include "engine/cuda/device_sampler.hpp"
#include "engine/cuda/device_weights.hpp"
#include "engine/cuda/element_dtype.hpp"
#include "engine/cuda/kv_cache.hpp"
#include "engine/cuda/layer_widths.hpp"
#include "engine/cuda/step_timer.hpp"
#include "engine/cuda/step_upload.hpp"
#include "engine/cuda/transformer.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/decode_attention.cuh"

namespace tpbench {
namespace {

// Decode steps hold at most one row per sequence of the batch: reserve_logit_rows.
int32_t max_batch(const ForwardContext& ctx) {
  return static_cast<int32_t>(std::max<int64_t>(ctx.reserve_logit_rows, 1));
}

template <typename T>
ArenaSizes arena_sizes(const ForwardContext& ctx) {
  ArenaSizes s;
  s.tokens = std::max<int64_t>(ctx.reserve_tokens, ctx.cuda_graphs ? max_batch(ctx) : 0);
  s.logit_rows = max_batch(ctx);
  s.decode_seqs = max_batch(ctx);
  s.decode_splits = cuda::decode_attention_splits(ctx.config.max_position_embeddings);
  s.reduce_buffer = ctx.device_comm != nullptr && !std::is_same_v<T, float>;
  return s;
}

// One TP rank's forward pass for the element type T: the parts below, each with one job, and
// the order in which a step runs them.
template <typename T>
class TypedForwardPass final : public ForwardPass {
 public:
  // Everything the graphs bake in, and every per-step buffer, is allocated here, before the
  // KV cache is sized from the free memory.
  TypedForwardPass(const ForwardContext& context, ModelWeights&& host_weights)
      : ctx_(context),
        widths_(layer_widths(context.config, context.shard)),
        weights_(std::move(host_weights), context.config, context.shard),
        inv_freq_(context.inv_freq.size()),
        graphs_(ctx_.cuda_graphs ? max_batch(ctx_) : 0, ctx_.config.max_position_embeddings),
        arena_(widths_, ctx_.shard, arena_sizes<T>(ctx_)),
        sampler_(max_batch(ctx_), ctx_.config.vocab_size, ctx_.reserve_sampling),
        model_(ctx_, weights_, kv_, arena_, inv_freq_.data()) {
    TPBENCH_CHECK(ctx_.reserve_tokens >= 1, "reserve_tokens " +
                                                std::to_string(ctx_.reserve_tokens) +
                                                ": the activations would hold no step");
    CUDA_CHECK(cudaMemcpy(inv_freq_.data(), ctx_.inv_freq.data(),
                          ctx_.inv_freq.size() * sizeof(float), cudaMemcpyHostToDevice));
    if (ctx_.tuning.decode_attention == cuda::DecodeAttentionKernel::kVector &&
        cuda::decode_attention_vector_group(ctx_.config.head_dim, sizeof(T)) == 0)
      throw InputError("--decode-attention vector: no vectorised decode attention for head_dim " +
                       std::to_string(ctx_.config.head_dim) + " in " + dtype_name(dtype_of<T>()));
    // The weights and inv_freq went up with cudaMemcpy from pageable memory on the legacy
    // stream, which may return before the copy lands; compute runs on a non-blocking stream
    // that is not ordered after it.
    CUDA_CHECK(cudaDeviceSynchronize());
  }

  int64_t weight_bytes() const override { return weights_.bytes; }

  cudaError_t allocate_kv(int32_t num_blocks, int block_size) override {
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    graphs_.clear();
    const cudaError_t err = kv_.allocate(num_blocks, graphs_.spare_blocks(), block_size,
                                         ctx_.config.num_layers, widths_.kv);
    if (err != cudaSuccess) return err;
    if (graphs_.enabled())
      graphs_.capture_all(kv_.num_blocks(), kv_.block_size(), ctx_.stream,
                          [this](const StepArgs& a) { model_.enqueue(a, nullptr); });
    return cudaSuccess;
  }

  void forward(const StepMetadata& m, std::vector<float>& logits, bool copy_logits) override {
    logits.clear();
    float* full = run(m);
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
    if (n == 0) {  // chunked prefill, no chunk ends this step: still one step, fully done
      tokens.clear();
      CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
      end_timing();
      return;
    }
    sampler_.enqueue(full, rows, ctx_.stream);
    lap(StepPhase::kSampling);
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    end_timing();
    sampler_.read(tokens);
  }

  std::string graph_summary() const override { return graphs_.summary(); }

 private:
  // Queues the step; returns the device logits [meta.logit_rows.size(), vocab] (valid once the
  // stream gets there).
  float* run(const StepMetadata& m) {
    TPBENCH_CHECK(kv_.allocated(), "forward before allocate_kv");
    timing_ = nullptr;
    if (m.n_tokens() == 0) return arena_.logits();
    StepTimer* timer = ctx_.tuning.step_timer;
    if (timer != nullptr && timer->active()) {  // an eager step, its kernel groups timed
      timing_ = timer;
      timing_->begin(ctx_.stream);
      return run_eager(m);
    }
    if (graphs_.replay(m, ctx_.stream)) return arena_.logits();
    return run_eager(m);
  }

  float* run_eager(const StepMetadata& m) {
    const StepArgs args = upload_.upload(m, ctx_.stream);
    lap(StepPhase::kUpload);
    model_.enqueue(args, timing_);
    return arena_.logits();
  }

  void lap(StepPhase phase) {
    if (timing_ != nullptr) timing_->lap(phase);
  }

  void end_timing() {
    if (timing_ != nullptr) timing_->end();
    timing_ = nullptr;
  }

  // Declared in the order they are allocated.
  ForwardContext ctx_;
  LayerWidths widths_;
  DeviceWeights<T> weights_;
  DeviceArray<float> inv_freq_;  // rope_inv_freq(config)
  DecodeGraphRunner graphs_;
  ActivationArena<T> arena_;
  DeviceSampler sampler_;
  KvCache<T> kv_;  // allocate_kv
  StepUpload upload_;
  Transformer<T> model_;
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
