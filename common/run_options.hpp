#pragma once
// Everything the command line says. Every rank parses the same argv (mpirun gives each the
// same), so these are never sent over the wire.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tpbench {

struct RunOptions {
  // positional
  std::string dataset_path;
  std::string model_path;

  // LMDeploy profile_throughput.py names and defaults
  int concurrency = 256;
  int num_prompts = 5000;
  int64_t seed = 0;
  int tp = 1;
  std::string backend;  // "" = auto: cuda when a GPU is visible, else cpu
  int top_k = 1;
  double top_p = 0.8;
  double temperature = 0.8;
  double cache_max_entry_count = 0.8;
  int cache_block_seq_len = 64;
  std::string dtype = "auto";
  bool stream_output = true;  // --no-stream-output clears it
  std::string csv_path = "./profile_throughput.csv";
  std::string dataset_name = "sharegpt";
  std::optional<int> sharegpt_output_len;
  int random_input_len = 1024;
  int random_output_len = 1024;
  double random_range_ratio = 0.0;
  bool skip_tokenize = false;

  // tpbench's own
  std::string json_path;
  std::string requests_out_path;
  bool record_tokens = false;
  std::vector<double> percentiles{50, 75, 95, 99};
  std::string dispatch = "static";
  bool dummy_weights = false;
  int max_batch_size = 0;         // 0 = concurrency share of the replica
  int max_prefill_tokens = 8192;
  int64_t kv_cache_bytes = 0;     // 0 = from --cache-max-entry-count
  bool cuda_graphs = true;        // cuda: decode steps replay CUDA graphs
  double heartbeat_timeout_s = 30;
  double timeout_s = 0;           // 0 = no limit
  bool dry_run = false;
  bool coordinator_only_rank = false;
  std::string coordinator_addr;   // interface/host to bind; "" = this host's name
  // sim backend
  double sim_step_ms = -1;        // fixed step time; < 0 = linear model below
  double sim_base_ms = 5.0;       // linear model: base + per_token * tokens in step
  double sim_per_token_us = 20.0;
  std::string sim_profile;        // --step-profile-out files to fit the step time to
  std::string step_profile_out;   // any backend: each leader's steps as CSV
};

}  // namespace tpbench
