#pragma once
// The widths (elements per token row) of one TP rank's activations and KV-cache rows.
#include <cstdint>

#include "engine/model/model_config.hpp"
#include "engine/model/tp_shard.hpp"

namespace tpbench {

struct LayerWidths {
  int64_t D = 0;    // hidden size (the residual stream)
  int64_t hd = 0;   // head dim
  int64_t I = 0;    // this rank's intermediate rows (gate, and as many up)
  int64_t q = 0;    // this rank's query heads x hd
  int64_t kv = 0;   // this rank's KV heads x hd: one K (or V) row of the cache
  int64_t qkv = 0;  // q + 2 kv: the fused q|k|v GEMM's output
};

inline LayerWidths layer_widths(const ModelConfig& c, const TpShard& s) {
  LayerWidths w;
  w.D = c.hidden_size;
  w.hd = c.head_dim;
  w.I = s.intermediate;
  w.q = int64_t{s.heads} * w.hd;
  w.kv = int64_t{s.kv_heads} * w.hd;
  w.qkv = w.q + 2 * w.kv;
  return w;
}

}  // namespace tpbench
