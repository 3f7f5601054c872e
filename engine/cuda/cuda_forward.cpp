#include "engine/cuda/cuda_forward.hpp"

#include <algorithm>
#include <cstring>

#include "common/error.hpp"
#include "engine/cuda/device_memory.hpp"
#include "engine/cuda/device_weights.hpp"
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

// Packs the step's host arrays into one pinned buffer and uploads it with one copy.
class MetadataUpload {
 public:
  template <typename E>
  size_t add(const std::vector<E>& v) {
    const size_t offset = bytes_;
    parts_.push_back({v.data(), v.size() * sizeof(E), offset});
    bytes_ += (v.size() * sizeof(E) + 255) / 256 * 256;
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
    reserve(ctx_.reserve_tokens, ctx_.reserve_logit_rows);
  }

  int64_t weight_bytes() const override { return w_.bytes; }

  cudaError_t allocate_kv(int32_t num_blocks, int block_size) override {
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    const size_t per_layer = static_cast<size_t>(num_blocks) * block_size * kvw_;
    const cudaError_t err = kv_.try_ensure(per_layer * 2 * ctx_.config.num_layers);
    if (err != cudaSuccess) return err;
    num_blocks_ = num_blocks;
    block_size_ = block_size;
    kv_per_layer_ = per_layer;
    return cudaSuccess;
  }

  void forward(const StepMetadata& m, std::vector<float>& logits, bool copy_logits) override {
    const int64_t T_rows = m.n_tokens();
    if (T_rows == 0) return;
    TPBENCH_CHECK(kv_.data() != nullptr, "forward before allocate_kv");
    const ModelConfig& c = ctx_.config;
    const TpShard& s = ctx_.shard;
    const cudaStream_t st = ctx_.stream;
    const float eps = static_cast<float>(c.rms_norm_eps);
    const int64_t n_logits = static_cast<int64_t>(m.logit_rows.size());
    reserve(T_rows, n_logits);
    const size_t ws_floats = cuda::decode_attention_workspace_floats(
        static_cast<int>(m.decode_seqs.size()), s.heads, hd_, m.max_decode_splits);
    if (ws_floats > decode_ws_.capacity()) {
      CUDA_CHECK(cudaStreamSynchronize(st));
      decode_ws_.ensure(ws_floats);
    }

    MetadataUpload up;
    const size_t o_ids = up.add(m.ids), o_pos = up.add(m.positions), o_slots = up.add(m.slots),
                 o_bt = up.add(m.block_tables), o_dec = up.add(m.decode_seqs),
                 o_pre = up.add(m.prefill_seqs), o_tiles = up.add(m.prefill_tiles),
                 o_rows = up.add(m.logit_rows);
    up.upload(meta_host_, meta_dev_, st);
    unsigned char* base = meta_dev_.data();
    const auto* ids = reinterpret_cast<const int32_t*>(base + o_ids);
    const auto* positions = reinterpret_cast<const int32_t*>(base + o_pos);
    const auto* slots = reinterpret_cast<const int64_t*>(base + o_slots);
    const auto* tables = reinterpret_cast<const int32_t*>(base + o_bt);
    const auto* dec = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + o_dec);
    const auto* pre = reinterpret_cast<const cuda::AttentionSeqDesc*>(base + o_pre);
    const auto* tiles = reinterpret_cast<const cuda::PrefillTile*>(base + o_tiles);
    const auto* logit_rows = reinterpret_cast<const int32_t*>(base + o_rows);

    float* x = x_.data();
    float* delta = delta_.data();
    float* work = work_.data();
    T* h = h_.data();
    T* act = act_.data();
    cuda::embedding_gather<T>(w_.embedding, D_, ids, T_rows, x, st);
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
      cuda::linear<T>(ctx_.cublas, h, T_rows, D_, L.qkv, qkv_w_, L.qkv_bias, work, st);
      cuda::rope_write_kv_cache<T>(work, work + qw_, work + qw_ + kvw_, qkv_w_, inv_freq_.data(),
                                   positions, slots, T_rows, s.heads, s.kv_heads, hd_, k_cache,
                                   v_cache, st);
      cuda::decode_attention<T>(work, qkv_w_, k_cache, v_cache, dec,
                                static_cast<int>(m.decode_seqs.size()), tables, s.heads, s.kv_heads,
                                hd_, block_size_, m.max_decode_splits, decode_ws_.data(), act, qw_,
                                st);
      cuda::prefill_attention<T>(work, qkv_w_, k_cache, v_cache, pre, tables, tiles,
                                 static_cast<int>(m.prefill_tiles.size()), s.heads, s.kv_heads, hd_,
                                 block_size_, act, qw_, st);
      // Row-parallel o_proj: partial sums over this rank's heads; the bias is added once.
      cuda::linear<T>(ctx_.cublas, act, T_rows, qw_, L.wo, D_, s.rank == 0 ? L.o_bias : nullptr,
                      delta, st);
      all_reduce(delta, T_rows * D_);
      // MLP block (SwiGLU).
      cuda::add_rmsnorm<T>(x, delta, L.ffn_norm, nullptr, T_rows, D_, eps, h, st);
      cuda::linear<T>(ctx_.cublas, h, T_rows, D_, L.gate_up, 2 * I_, nullptr, work, st);
      cuda::silu_mul<T>(work, work + I_, 2 * I_, T_rows, I_, act, st);
      cuda::linear<T>(ctx_.cublas, act, T_rows, I_, L.down, D_, nullptr, delta, st);
      all_reduce(delta, T_rows * D_);
    }
    if (n_logits > 0) compute_logits(logit_rows, n_logits, logits, copy_logits);
    CUDA_CHECK(cudaStreamSynchronize(st));
  }

 private:
  void all_reduce(float* data, int64_t count) {
    if (ctx_.device_comm != nullptr) ctx_.device_comm->all_reduce_sum(data, count);
  }

  // Final norm on the rows that want logits, the LM head on this rank's vocabulary slice, and
  // (TP) an all-gather whose [tp, n, local vocab] result is copied out rank slice by slice.
  void compute_logits(const int32_t* rows, int64_t n, std::vector<float>& logits, bool copy) {
    const ModelConfig& c = ctx_.config;
    const TpShard& s = ctx_.shard;
    const cudaStream_t st = ctx_.stream;
    const int64_t V = c.vocab_size, Vl = s.vocab;
    cuda::add_rmsnorm<T>(x_.data(), delta_.data(), w_.final_norm, rows, n, D_,
                         static_cast<float>(c.rms_norm_eps), h_.data(), st);
    cuda::linear<T>(ctx_.cublas, h_.data(), n, D_, w_.lm_head, Vl, nullptr, local_logits_.data(),
                    st);
    const float* full = local_logits_.data();
    if (s.size > 1) {
      ctx_.device_comm->all_gather(local_logits_.data(), gathered_.data(), n * Vl);
      full = gathered_.data();
    }
    if (!copy) return;
    logits.resize(n * V);
    if (s.size == 1) {
      CUDA_CHECK(
          cudaMemcpyAsync(logits.data(), full, n * V * sizeof(float), cudaMemcpyDeviceToHost, st));
      return;
    }
    for (int r = 0; r < s.size; ++r)
      CUDA_CHECK(cudaMemcpy2DAsync(logits.data() + r * Vl, V * sizeof(float), full + r * n * Vl,
                                   Vl * sizeof(float), Vl * sizeof(float), n,
                                   cudaMemcpyDeviceToHost, st));
  }

  // Activations for `tokens` rows and `logit_rows` logit rows (grows only).
  void reserve(int64_t tokens, int64_t logit_rows) {
    const int64_t tp = ctx_.shard.size, Vl = ctx_.shard.vocab;
    const bool grow_tokens = static_cast<size_t>(tokens * D_) > x_.capacity();
    const bool grow_logits = static_cast<size_t>(logit_rows * Vl) > local_logits_.capacity();
    if (!grow_tokens && !grow_logits) return;
    CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
    if (grow_tokens) {
      x_.ensure(tokens * D_);
      delta_.ensure(tokens * D_);
      h_.ensure(tokens * D_);
      work_.ensure(tokens * std::max(qkv_w_, 2 * I_));
      act_.ensure(tokens * std::max(qw_, I_));
    }
    if (grow_logits) {
      local_logits_.ensure(logit_rows * Vl);
      if (tp > 1) gathered_.ensure(tp * logit_rows * Vl);
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
  DeviceArray<float> x_, delta_, work_, local_logits_, gathered_, decode_ws_;
  DeviceArray<T> h_, act_;
  PinnedBuffer meta_host_;
  DeviceArray<unsigned char> meta_dev_;
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
