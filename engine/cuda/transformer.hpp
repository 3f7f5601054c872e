#pragma once
// The model's kernel sequence on one step's rows, embedding to LM head: the CUDA twin of
// CpuModelRunner's forward. Only stream work (no host sync, no allocation), so the decode graphs
// capture it. It owns nothing: the weights, KV cache and activations are the forward pass's.
#include <cstdint>

#include "engine/cuda/activation_arena.hpp"
#include "engine/cuda/cuda_forward.hpp"
#include "engine/cuda/device_weights.hpp"
#include "engine/cuda/kv_cache.hpp"
#include "engine/cuda/layer_widths.hpp"
#include "engine/cuda/step_args.hpp"
#include "engine/cuda/step_timer.hpp"

namespace tpbench {

template <typename T>
class Transformer {
 public:
  // inv_freq: rope_inv_freq(config) on the device.
  Transformer(const ForwardContext& ctx, const DeviceWeights<T>& weights, const KvCache<T>& kv,
              const ActivationArena<T>& arena, const float* inv_freq);

  // Queues the step on ctx.stream; the logits [a.n_logits, vocab] land in arena.logits().
  // `timer` (null: none) gets a lap after each group of kernels. Throws InternalError when the
  // step does not fit the arena.
  void enqueue(const StepArgs& a, StepTimer* timer) const;

 private:
  void all_reduce(float* data, int64_t count, StepTimer* timer) const;
  void enqueue_logits(const int32_t* rows, int64_t n) const;

  const ForwardContext& ctx_;
  const DeviceWeights<T>& w_;
  const KvCache<T>& kv_;
  const ActivationArena<T>& arena_;
  const float* inv_freq_;
  LayerWidths widths_;
};

}  // namespace tpbench
