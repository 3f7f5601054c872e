#include "engine/model/tp_shard.hpp"

#include "common/error.hpp"

namespace tpbench {

TpShard make_tp_shard(const ModelConfig& c, int rank, int size, const std::string& config_path) {
  auto require_divisible = [&](int32_t value, const char* field) {
    if (value % size != 0)
      throw InputError(config_path + ": " + field + " = " + std::to_string(value) +
                       " is not divisible by --tp " + std::to_string(size));
  };
  require_divisible(c.num_heads, "num_attention_heads");
  require_divisible(c.intermediate_size, "intermediate_size");
  require_divisible(c.vocab_size, "vocab_size");
  if (c.num_kv_heads % size != 0 && size % c.num_kv_heads != 0)
    throw InputError(config_path + ": num_key_value_heads = " + std::to_string(c.num_kv_heads) +
                     " neither divides nor is divisible by --tp " + std::to_string(size));

  TpShard s;
  s.rank = rank;
  s.size = size;
  s.heads = c.num_heads / size;
  s.head_begin = rank * s.heads;
  if (c.num_kv_heads % size == 0) {
    s.kv_heads = c.num_kv_heads / size;
    s.kv_head_begin = rank * s.kv_heads;
  } else {
    s.kv_heads = 1;
    s.kv_head_begin = rank / (size / c.num_kv_heads);
  }
  s.intermediate = c.intermediate_size / size;
  s.intermediate_begin = rank * s.intermediate;
  s.vocab = c.vocab_size / size;
  s.vocab_begin = rank * s.vocab;
  return s;
}

KvLayout kv_layout_for(const ModelConfig& config, const TpShard& shard, int block_size,
                       int element_bytes) {
  KvLayout layout;
  layout.bytes_per_block = int64_t{config.num_layers} * 2 * block_size * shard.kv_heads *
                           config.head_dim * element_bytes;
  layout.max_context = config.max_position_embeddings;
  layout.max_context_why = "max_position_embeddings";
  return layout;
}

}  // namespace tpbench
