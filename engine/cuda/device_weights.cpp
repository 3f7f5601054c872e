#include "engine/cuda/device_weights.hpp"

#include <cuda_runtime_api.h>

#include <type_traits>

#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {

template <typename T>
template <typename E>
E* DeviceWeights<T>::upload(std::initializer_list<const std::vector<float>*> parts) {
  size_t n = 0;
  for (const auto* p : parts) n += p->size();
  if (n == 0) return nullptr;
  std::vector<E> staging(n);
  size_t at = 0;
  for (const auto* p : parts) {
    const float* src = p->data();
    const int64_t len = static_cast<int64_t>(p->size());
    E* dst = staging.data() + at;
#pragma omp parallel for schedule(static) if (len >= (1 << 20))
    for (int64_t i = 0; i < len; ++i) dst[i] = host_to_element<E>(src[i]);
    at += p->size();
  }
  void* device = nullptr;
  CUDA_CHECK(cudaMalloc(&device, n * sizeof(E)));
  allocations_.push_back(device);
  CUDA_CHECK(cudaMemcpy(device, staging.data(), n * sizeof(E), cudaMemcpyHostToDevice));
  bytes += static_cast<int64_t>(n * sizeof(E));
  return static_cast<E*>(device);
}

template <typename T>
DeviceWeights<T>::DeviceWeights(ModelWeights&& host, const ModelConfig& config,
                                const TpShard& shard) {
  try {
    embedding = upload<T>({&host.embedding});
    for (LayerWeights& w : host.layers) {
      DeviceLayer<T> d;
      d.attn_norm = upload<float>({&w.attn_norm});
      d.qkv = upload<T>({&w.wq, &w.wk, &w.wv});
      d.qkv_bias = upload<float>({&w.bq, &w.bk, &w.bv});  // null without biases
      d.wo = upload<T>({&w.wo});
      d.o_bias = upload<float>({&w.bo});
      d.ffn_norm = upload<float>({&w.ffn_norm});
      d.gate_up = upload<T>({&w.w_gate, &w.w_up});
      d.gate_up_bias = upload<float>({&w.b_gate, &w.b_up});  // null without mlp bias
      d.down = upload<T>({&w.w_down});
      d.down_bias = upload<float>({&w.b_down});
      layers.push_back(d);
      w = LayerWeights{};  // the host copy is no longer needed
    }
    final_norm = upload<float>({&host.final_norm});
    lm_head = host.lm_head.empty() ? embedding + int64_t{shard.vocab_begin} * config.hidden_size
                                   : upload<T>({&host.lm_head});
  } catch (...) {
    for (void* p : allocations_) (void)cudaFree(p);
    throw;
  }
}

template <typename T>
DeviceWeights<T>::~DeviceWeights() {
  for (void* p : allocations_) (void)cudaFree(p);
}

template class DeviceWeights<float>;
template class DeviceWeights<__half>;
template class DeviceWeights<__nv_bfloat16>;

}  // namespace tpbench
