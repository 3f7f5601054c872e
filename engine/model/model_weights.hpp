#pragma once
// One TP rank's fp32 weights. Linear weights keep the checkpoint's [out_features, in_features]
// row-major layout (y = x W^T).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/model_config.hpp"
#include "engine/model/tp_shard.hpp"

namespace tpbench {

struct LayerWeights {
  std::vector<float> attn_norm;     // [D]
  std::vector<float> wq, wk, wv;    // [heads*hd, D], [kv_heads*hd, D] (local)
  std::vector<float> bq, bk, bv;    // biases of the local rows; empty without qkv bias
  std::vector<float> wo;            // [D, heads*hd]: the local input columns
  std::vector<float> bo;            // [D]; empty without o bias
  std::vector<float> ffn_norm;      // [D]
  std::vector<float> w_gate, w_up;  // [intermediate, D] (local rows)
  std::vector<float> b_gate, b_up;  // biases of the local rows; empty without mlp bias
  std::vector<float> w_down;        // [D, intermediate]: the local input columns
  std::vector<float> b_down;        // [D]; empty without mlp bias
};

struct ModelWeights {
  std::vector<float> embedding;  // [vocab, D], replicated
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;  // [D]
  std::vector<float> lm_head;     // [local vocab, D]; empty when tied to the embedding

  // The local LM head rows: lm_head, or the tied embedding's rows of this rank's vocab slice.
  const float* lm_head_rows(const ModelConfig& config, const TpShard& shard) const {
    return lm_head.empty() ? embedding.data() + int64_t{shard.vocab_begin} * config.hidden_size
                           : lm_head.data();
  }
  int64_t bytes() const;
};

// Loads this rank's shard from the checkpoint in model_dir (see checkpoint.hpp; F32/F16/BF16
// -> fp32), in the family's tensor layout (engine/model/family_layout.hpp).
ModelWeights load_weights(const ModelConfig& config, const TpShard& shard,
                          const std::string& model_dir);

// Seeded random weights from the config alone (--dummy-weights). Each element is a function of
// (seed, tensor name, index in the full tensor), so every TP split sees the same model.
// Linear weights have std 1/sqrt(in_features), norms are 1, so activations stay O(1).
ModelWeights dummy_weights(const ModelConfig& config, const TpShard& shard, uint64_t seed);

}  // namespace tpbench
