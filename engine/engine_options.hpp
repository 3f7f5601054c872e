#pragma once
#include <cstdint>
#include <string>

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
  int local_size = 1;          // engine ranks on this node (ranks sharing a GPU split its KV)
  bool cuda_graphs = true;     // cuda: replay decode steps from CUDA graphs
  bool greedy_only = false;    // every request is greedy: no sampling workspace needed
  // sim backend
  double sim_step_ms = -1;
  double sim_base_ms = 5.0;
  double sim_per_token_us = 20.0;
  std::string sim_profile;       // --step-profile-out files to fit the step time to (else above)
  std::string step_profile_out;  // any backend: the leader writes one CSV row per step
};

}  // namespace tpbench
