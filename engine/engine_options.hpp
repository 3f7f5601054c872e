#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tpbench {

struct EngineOptions {
  std::string backend = "cpu";  // "cpu" | "cuda" | "sim"
  std::string model_dir;
  std::string dtype = "auto";
  bool dummy_weights = false;
  uint64_t seed = 0;
  int max_batch_size = 256;
  int max_prefill_tokens = 8192;
  int cache_block_seq_len = 64;
  double cache_max_entry_count = 0.8;
  int64_t kv_cache_bytes = 0;  // > 0 overrides cache_max_entry_count
  int local_rank = 0;          // which GPU (cuda): local_rank % visible GPUs
  int local_size = 1;          // engine ranks on this node
  // Gathers one string from every engine rank of this node, in local_rank order: a collective
  // over them. The cuda backend gathers GPU identities with it (ranks on one GPU split its KV
  // cache). Null: this rank is alone on its node.
  std::function<std::vector<std::string>(const std::string&)> node_all_gather;
  bool cuda_graphs = true;   // cuda: replay decode steps from CUDA graphs
  bool greedy_only = false;  // every request is greedy: no sampling workspace needed
  // sim backend
  double sim_step_ms = -1;
  double sim_base_ms = 5.0;
  double sim_per_token_us = 20.0;
};

}  // namespace tpbench
