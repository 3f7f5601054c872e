#pragma once
// Everything the command line says. Every rank parses the same argv (mpirun gives each the
// same), so these are never sent over the wire. coordinator/cli/option_table.hpp binds each
// field to its flag, states its range, and names its key in the JSON report.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/engine_options.hpp"
#include "common/enum_names.hpp"

namespace tpbench {

enum class DatasetName { kShareGpt, kRandom, kTokenIds };
inline constexpr std::array<EnumName<DatasetName>, 3> kDatasetNames{{
    {DatasetName::kShareGpt, "sharegpt"},
    {DatasetName::kRandom, "random"},
    {DatasetName::kTokenIds, "token-ids"},
}};
constexpr const auto& enum_names(DatasetName) {
  return kDatasetNames;
}

enum class Dispatch { kStatic, kDynamic };
inline constexpr std::array<EnumName<Dispatch>, 2> kDispatchNames{{
    {Dispatch::kStatic, "static"},
    {Dispatch::kDynamic, "dynamic"},
}};
constexpr const auto& enum_names(Dispatch) {
  return kDispatchNames;
}

struct RunOptions {
  std::string dataset_path;  // positional DATASET
  // positional MODEL as given: a local path or a hub id; engine.model_dir holds the folder it
  // resolves to (coordinator/cli/hub_cache.hpp), the same on every rank.
  std::string model;

  // LMDeploy profile_throughput.py names and defaults
  int concurrency = 256;
  int num_prompts = 5000;
  int64_t seed = 0;
  int tp = 1;
  int top_k = 1;
  double top_p = 0.8;
  double temperature = 0.8;
  bool stream_output = true;  // --no-stream-output clears it
  std::string csv_path = "./profile_throughput.csv";
  DatasetName dataset_name = DatasetName::kShareGpt;
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
  Dispatch dispatch = Dispatch::kStatic;
  int max_concurrency = 0;  // open loop: requests in flight over the cluster; 0 = no limit
  double heartbeat_timeout_s = 30;
  double startup_timeout_s = 600;  // engine build until t0; 0 = no limit
  double timeout_s = 0;            // 0 = no limit; counted from t0
  bool dry_run = false;
  bool coordinator_only_rank = false;
  std::string coordinator_addr;  // "" = 127.0.0.1 on one host, else all interfaces
  std::string revision;          // hub id MODEL: branch, tag or commit; "" = main

  // Backend, model, KV cache, batch limits: what each rank's engine is built from.
  EngineOptions engine;
};

}  // namespace tpbench
