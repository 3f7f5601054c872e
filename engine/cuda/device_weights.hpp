#pragma once
// One TP rank's weights on the GPU: linear weights and the embedding in the element type T,
// q|k|v and gate|up fused into one matrix each (one GEMM instead of three / two), norms and
// biases in fp32.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <vector>

#include "engine/model/model_config.hpp"
#include "engine/model/model_weights.hpp"
#include "engine/model/tp_shard.hpp"

#include "kernels/cuda/element_host.hpp"

namespace tpbench {

template <typename T>
struct DeviceLayer {
  float* attn_norm = nullptr;     // [D]
  T* qkv = nullptr;               // [(heads + 2 kv_heads) * hd, D]
  float* qkv_bias = nullptr;      // [(heads + 2 kv_heads) * hd] or null
  T* wo = nullptr;                // [D, heads * hd]
  float* o_bias = nullptr;        // [D] or null
  float* ffn_norm = nullptr;      // [D]
  T* gate_up = nullptr;           // [2 * intermediate, D]: gate rows, then up rows
  float* gate_up_bias = nullptr;  // [2 * intermediate] or null
  T* down = nullptr;              // [D, intermediate]
  float* down_bias = nullptr;     // [D] or null
};

template <typename T>
class DeviceWeights {
 public:
  // Converts and uploads `host` (fp32), releasing each host layer once it is on the GPU.
  DeviceWeights(ModelWeights&& host, const ModelConfig& config, const TpShard& shard);
  ~DeviceWeights();
  DeviceWeights(const DeviceWeights&) = delete;
  DeviceWeights& operator=(const DeviceWeights&) = delete;

  T* embedding = nullptr;  // [vocab, D]
  std::vector<DeviceLayer<T>> layers;
  float* final_norm = nullptr;  // [D]
  const T* lm_head = nullptr;   // [local vocab, D]: its own, or rows of the tied embedding
  int64_t bytes = 0;

 private:
  template <typename E>
  E* upload(std::initializer_list<const std::vector<float>*> parts);
  std::vector<void*> allocations_;
};

}  // namespace tpbench
