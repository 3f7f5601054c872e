#pragma once
// One TP rank's paged KV cache on the GPU: per layer, K [slots, kv_heads, head_dim] and then V
// alike, where slots = (num_blocks + spare_blocks) x block_size and slot = block x block_size +
// offset (step_metadata.cpp computes them). Spare blocks, past the scheduler's num_blocks, hold
// the decode graphs' padding rows.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "engine/cuda/device_memory.hpp"

namespace tpbench {

template <typename T>
class KvCache {
 public:
  // Returns cudaErrorMemoryAllocation when it does not fit; the cache then holds nothing. The
  // caller makes sure no queued work still uses the old cache.
  cudaError_t allocate(int32_t num_blocks, int32_t spare_blocks, int block_size, int num_layers,
                       int64_t kv_width) {
    const size_t per_layer = static_cast<size_t>(num_blocks + spare_blocks) * block_size * kv_width;
    const cudaError_t err = storage_.try_ensure(per_layer * 2 * num_layers);
    if (err != cudaSuccess) return err;
    num_blocks_ = num_blocks;
    block_size_ = block_size;
    per_layer_ = per_layer;
    return cudaSuccess;
  }

  bool allocated() const { return storage_.data() != nullptr; }
  T* k(int layer) const { return storage_.data() + 2 * static_cast<size_t>(layer) * per_layer_; }
  T* v(int layer) const { return k(layer) + per_layer_; }
  // The scheduler's blocks; the first spare block has this id.
  int32_t num_blocks() const { return num_blocks_; }
  int block_size() const { return block_size_; }

 private:
  DeviceArray<T> storage_;
  size_t per_layer_ = 0;
  int32_t num_blocks_ = 0;
  int block_size_ = 0;
};

}  // namespace tpbench
