#include "engine/cuda/transformer.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "engine/cuda/element_dtype.hpp"
#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/decode_attention.cuh"
#include "kernels/cuda/embedding.cuh"
#include "kernels/cuda/linear.cuh"
#include "kernels/cuda/prefill_attention.cuh"
#include "kernels/cuda/rmsnorm.cuh"
#include "kernels/cuda/rope_kv_cache.cuh"
#include "kernels/cuda/silu_mul.cuh"

namespace tpbench {
namespace {

void lap(StepTimer* timer, StepPhase phase) {
  if (timer != nullptr) timer->lap(phase);
}

}  // namespace

template <typename T>
Transformer<T>::Transformer(const ForwardContext& ctx, const DeviceWeights<T>& weights,
                            const KvCache<T>& kv, const ActivationArena<T>& arena,
                            const float* inv_freq)
    : ctx_(ctx),
      w_(weights),
      kv_(kv),
      arena_(arena),
      inv_freq_(inv_freq),
      widths_(layer_widths(ctx.config, ctx.shard)) {}

template <typename T>
void Transformer<T>::enqueue(const StepArgs& a, StepTimer* timer) const {
  arena_.check_step(a.rows, a.n_logits, a.n_decode, a.decode_splits);
  const ModelConfig& c = ctx_.config;
  const TpShard& s = ctx_.shard;
  const cudaStream_t st = ctx_.stream;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const int64_t D = widths_.D, hd = widths_.hd, I = widths_.I, qw = widths_.q, kvw = widths_.kv,
                qkv_w = widths_.qkv;
  const int block_size = kv_.block_size();
  const int64_t T_rows = a.rows;
  float* x = arena_.x();
  float* delta = arena_.delta();
  float* work = arena_.work();
  T* h = arena_.h();
  T* act = arena_.act();
  cuda::embedding_gather<T>(w_.embedding, D, a.ids, T_rows, x, st);
  lap(timer, StepPhase::kEmbedding);
  for (int l = 0; l < c.num_layers; ++l) {
    const DeviceLayer<T>& L = w_.layers[l];
    T* k_cache = kv_.k(l);
    T* v_cache = kv_.v(l);
    // Attention block; the previous block's output joins the residual stream here.
    if (l == 0) {
      cuda::rmsnorm<T>(x, L.attn_norm, T_rows, D, eps, h, st);
    } else {
      cuda::add_rmsnorm<T>(x, delta, L.attn_norm, nullptr, T_rows, D, eps, h, st);
    }
    lap(timer, StepPhase::kRmsnorm);
    cuda::linear<T>(ctx_.cublas, h, T_rows, D, L.qkv, qkv_w, L.qkv_bias, work, st);
    lap(timer, StepPhase::kQkvGemm);
    cuda::rope_write_kv_cache<T>(work, work + qw, work + qw + kvw, qkv_w, inv_freq_, a.positions,
                                 a.slots, T_rows, s.heads, s.kv_heads, hd, k_cache, v_cache, st);
    lap(timer, StepPhase::kRopeKvWrite);
    cuda::decode_attention<T>(work, qkv_w, k_cache, v_cache, a.decode, a.n_decode, a.tables,
                              s.heads, s.kv_heads, hd, block_size, a.decode_splits,
                              arena_.decode_ws(), act, qw, st, ctx_.tuning.decode_attention);
    cuda::prefill_attention<T>(work, qkv_w, k_cache, v_cache, a.prefill, a.tables, a.tiles,
                               a.n_tiles, s.heads, s.kv_heads, hd, block_size, act, qw, st);
    lap(timer, StepPhase::kAttention);
    // Row-parallel o_proj: partial sums over this rank's heads; the bias is added once.
    cuda::linear<T>(ctx_.cublas, act, T_rows, qw, L.wo, D, s.rank == 0 ? L.o_bias : nullptr, delta,
                    st);
    lap(timer, StepPhase::kOGemm);
    all_reduce(delta, T_rows * D, timer);
    // MLP block (SwiGLU).
    cuda::add_rmsnorm<T>(x, delta, L.ffn_norm, nullptr, T_rows, D, eps, h, st);
    lap(timer, StepPhase::kRmsnorm);
    cuda::linear<T>(ctx_.cublas, h, T_rows, D, L.gate_up, 2 * I, L.gate_up_bias, work, st);
    lap(timer, StepPhase::kGateUpGemm);
    cuda::silu_mul<T>(work, work + I, 2 * I, T_rows, I, act, st);
    lap(timer, StepPhase::kSilu);
    // Row-parallel down_proj: its bias too is added once.
    cuda::linear<T>(ctx_.cublas, act, T_rows, I, L.down, D, s.rank == 0 ? L.down_bias : nullptr,
                    delta, st);
    lap(timer, StepPhase::kDownGemm);
    all_reduce(delta, T_rows * D, timer);
  }
  if (a.n_logits > 0) enqueue_logits(a.logit_rows, a.n_logits);
  lap(timer, StepPhase::kLmHead);
}

// Sums the ranks' fp32 partial sums `data` (docs/ARCHITECTURE.md, "where the all-reduce
// rounds"). In the model's dtype (the default): each rank rounds its partials to T, NCCL sums
// in T, and the sum comes back to fp32 for the residual stream.
template <typename T>
void Transformer<T>::all_reduce(float* data, int64_t count, StepTimer* timer) const {
  if (ctx_.device_comm == nullptr) return;
  if (!std::is_same_v<T, float> && ctx_.tuning.all_reduce == AllReduceDType::kModel) {
    cuda::float_to_element<T>(data, count, arena_.reduce_buf(), ctx_.stream);
    ctx_.device_comm->all_reduce_sum_as(arena_.reduce_buf(), count, dtype_of<T>());
    cuda::element_to_float<T>(arena_.reduce_buf(), count, data, ctx_.stream);
  } else {
    ctx_.device_comm->all_reduce_sum(data, count);
  }
  lap(timer, StepPhase::kAllReduce);
}

// Final norm on the rows that want logits, the LM head on this rank's vocabulary slice, and
// (TP) an all-gather whose [tp, n, local vocab] result is reordered into [n, vocab].
template <typename T>
void Transformer<T>::enqueue_logits(const int32_t* rows, int64_t n) const {
  const ModelConfig& c = ctx_.config;
  const TpShard& s = ctx_.shard;
  const cudaStream_t st = ctx_.stream;
  const int64_t V = c.vocab_size, Vl = s.vocab;
  cuda::add_rmsnorm<T>(arena_.x(), arena_.delta(), w_.final_norm, rows, n, widths_.D,
                       static_cast<float>(c.rms_norm_eps), arena_.h(), st);
  cuda::linear<T>(ctx_.cublas, arena_.h(), n, widths_.D, w_.lm_head, Vl, nullptr,
                  arena_.local_logits(), st);
  if (s.size == 1) return;
  ctx_.device_comm->all_gather(arena_.local_logits(), arena_.gathered(), n * Vl);
  for (int r = 0; r < s.size; ++r)
    CUDA_CHECK(cudaMemcpy2DAsync(arena_.logits() + r * Vl, V * sizeof(float),
                                 arena_.gathered() + r * n * Vl, Vl * sizeof(float),
                                 Vl * sizeof(float), n, cudaMemcpyDeviceToDevice, st));
}

template class Transformer<float>;
template class Transformer<__half>;
template class Transformer<__nv_bfloat16>;

}  // namespace tpbench
