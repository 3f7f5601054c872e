#pragma once
// Everything the command line says. Every rank parses the same argv (mpirun gives each the
// same), so these are never sent over the wire. coordinator/cli/option_table.hpp binds each
// field to its flag, states its range, and names its key in the JSON report.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
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

// --ramp-up-strategy (vLLM's names); kNone: no ramp.
enum class RampUp { kNone, kLinear, kExponential };
inline constexpr std::array<EnumName<RampUp>, 3> kRampUpNames{{
    {RampUp::kNone, "none"},
    {RampUp::kLinear, "linear"},
    {RampUp::kExponential, "exponential"},
}};
constexpr const auto& enum_names(RampUp) {
  return kRampUpNames;
}

// --goodput: the service-level objectives a good request meets, in ms (vLLM's KEY:MS form). A
// key not given is not checked; none given means no goodput is reported.
struct GoodputSlo {
  std::optional<double> ttft_ms;  // first token - scheduled
  std::optional<double> tpot_ms;  // (finish - first token) / (n - 1); 0 when n <= 1
  std::optional<double> e2el_ms;  // finish - scheduled
  bool any() const { return ttft_ms || tpot_ms || e2el_ms; }
};

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
  double heartbeat_timeout_s = 30;
  double startup_timeout_s = 600;  // engine build until t0; 0 = no limit
  double timeout_s = 0;            // 0 = no limit; counted from t0
  bool dry_run = false;
  bool coordinator_only_rank = false;
  std::string coordinator_addr;  // "" = 127.0.0.1 on one host, else all interfaces
  std::string revision;          // hub id MODEL: branch, tag or commit; "" = main

  // Open-loop load (coordinator/load/, docs/ARCHITECTURE.md "Load shapes"); the defaults are
  // today's closed loop.
  double request_rate = std::numeric_limits<double>::infinity();  // requests/s; inf: all at t0
  double burstiness = 1.0;  // gamma shape of the gaps (1: Poisson; inf: constant gaps)
  RampUp ramp_up_strategy = RampUp::kNone;
  std::optional<double> ramp_up_start_rps, ramp_up_end_rps;
  std::string trace_path;  // Azure LLM inference trace CSV: arrivals and lengths
  double trace_time_scale = 1.0;
  std::optional<double> duration_s;  // arrivals until this many seconds after t0
  int max_concurrency = 0;           // cap on requests in flight in an open loop; 0 = unset
  bool num_prompts_given = false;    // -n on the command line (a --trace run defaults to all rows)
  // Results of an open-loop run (docs/ARCHITECTURE.md "Goodput and validity").
  GoodputSlo goodput;
  double max_lag_p99_ms = 10;         // INVALID when the lag's P99 exceeds this
  double max_rate_shortfall_pct = 5;  // INVALID when the achieved rate is this far below the asked

  // Backend, model, KV cache, batch limits: what each rank's engine is built from.
  EngineOptions engine;
};

// Arrivals follow a schedule (WorkloadRequest::scheduled_ns) rather than a closed loop.
inline bool is_open_loop(const RunOptions& o) {
  return o.request_rate != std::numeric_limits<double>::infinity() ||
         o.ramp_up_strategy != RampUp::kNone || !o.trace_path.empty() || o.duration_s.has_value();
}

}  // namespace tpbench
