#include "coordinator/report/options_json.hpp"

namespace tpbench {

nlohmann::ordered_json options_to_json(const RunOptions& o) {
  nlohmann::ordered_json j;
  j["dataset"] = o.dataset_path;
  j["model"] = o.model_path;
  j["concurrency"] = o.concurrency;
  j["num_prompts"] = o.num_prompts;
  j["seed"] = o.seed;
  j["tp"] = o.tp;
  j["backend"] = o.backend.empty() ? "auto" : o.backend;
  j["top_k"] = o.top_k;
  j["top_p"] = o.top_p;
  j["temperature"] = o.temperature;
  j["cache_max_entry_count"] = o.cache_max_entry_count;
  j["cache_block_seq_len"] = o.cache_block_seq_len;
  j["dtype"] = o.dtype;
  j["stream_output"] = o.stream_output;
  j["csv"] = o.csv_path;
  j["dataset_name"] = o.dataset_name;
  j["sharegpt_output_len"] =
      o.sharegpt_output_len ? nlohmann::ordered_json(*o.sharegpt_output_len) : nullptr;
  j["random_input_len"] = o.random_input_len;
  j["random_output_len"] = o.random_output_len;
  j["random_range_ratio"] = o.random_range_ratio;
  j["skip_tokenize"] = o.skip_tokenize;
  j["json"] = o.json_path;
  j["requests_out"] = o.requests_out_path;
  j["record_tokens"] = o.record_tokens;
  j["percentiles"] = o.percentiles;
  j["dispatch"] = o.dispatch;
  j["dummy_weights"] = o.dummy_weights;
  j["max_batch_size"] = o.max_batch_size;
  j["max_prefill_tokens"] = o.max_prefill_tokens;
  j["kv_cache_bytes"] = o.kv_cache_bytes;
  j["cuda_graphs"] = o.cuda_graphs;
  j["heartbeat_timeout"] = o.heartbeat_timeout_s;
  j["timeout"] = o.timeout_s;
  j["dry_run"] = o.dry_run;
  j["coordinator_only_rank"] = o.coordinator_only_rank;
  j["coordinator_addr"] = o.coordinator_addr;
  j["sim_step_ms"] = o.sim_step_ms;
  j["sim_base_ms"] = o.sim_base_ms;
  j["sim_per_token_us"] = o.sim_per_token_us;
  j["step_profile_out"] = o.step_profile_out;
  j["sim_profile"] = o.sim_profile;
  return j;
}

}  // namespace tpbench
