#pragma once
// Which slice of the model one tensor-parallel rank holds (Megatron-style):
//  - q/k/v and gate/up are column-parallel: each rank has whole heads / a block of
//    intermediate rows; o_proj and down_proj are row-parallel over the matching input columns,
//    so each rank's partial outputs are summed with one all-reduce after each.
//  - KV heads: split when tp divides num_kv_heads; when num_kv_heads divides tp (e.g. MQA), each
//    rank keeps the one KV head its query heads use (replicated, as vLLM does).
//  - The embedding is replicated (a gather needs whole rows; it is 1/(2 L) of the weights of a
//    Llama); the LM head is split by vocabulary rows and the logits all-gathered.
#include <cstdint>
#include <string>

#include "engine/model/model_config.hpp"
#include "engine/model_runner.hpp"

namespace tpbench {

struct TpShard {
  int rank = 0;
  int size = 1;
  int32_t heads = 0;  // local query heads
  int32_t head_begin = 0;
  int32_t kv_heads = 0;  // local KV heads
  int32_t kv_head_begin = 0;
  int32_t intermediate = 0;  // local gate/up rows
  int32_t intermediate_begin = 0;
  int32_t vocab = 0;  // local LM head rows
  int32_t vocab_begin = 0;
};

// Throws InputError naming `config_path` and the field when the model does not split over tp.
TpShard make_tp_shard(const ModelConfig& config, int rank, int size,
                      const std::string& config_path);

// One rank's paged KV cache: K and V of its kv heads, every layer, block_size tokens a block.
KvLayout kv_layout_for(const ModelConfig& config, const TpShard& shard, int block_size,
                       int element_bytes);

}  // namespace tpbench
