#pragma once
// The run's reports: LMDeploy's console table, --csv, --json, --requests-out.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/engine_stats.hpp"
#include "common/gpu_identity.hpp"
#include "common/records.hpp"
#include "common/run_options.hpp"
#include "coordinator/report/metrics.hpp"

namespace tpbench {

struct ReplicaSummary {
  int replica = 0;
  int leader_rank = 0;
  std::vector<int> ranks;
  std::string host;
  std::string engine;    // Engine::describe() of the leader
  double startup_s = 0;  // the leader's engine build (load, KV cache, warm-up)
  size_t requests = 0;   // completed
  int64_t output_tokens = 0;
  double output_throughput = 0;  // tok/s over the run's duration
  EngineStats stats;             // what the leader's engine counted
  double busy_percent = 0;       // stats.busy_ns / duration
};

struct RankGpu {
  int rank = 0;
  GpuIdentity gpu;
};

struct RunInfo {
  RunOptions options;
  std::string backend;  // resolved: cuda | cpu | sim
  std::string tpbench_version;
  std::string started_at;  // ISO 8601 UTC wall clock
  int world_size = 1;
  int replicas = 1;
  std::vector<std::string> hosts;
  std::vector<RankGpu> gpus;  // by rank; empty on the cpu and sim backends
  int64_t t0_skew_ns = 0;     // spread of barrier exit times across ranks
  double startup_s = 0;       // start-up (load, KV cache, warm-up) until t0, not in the duration
  bool complete = true;
  std::string incomplete_reason;  // why the run ended early
};

void print_console_report(std::FILE* out, const RunInfo& info, const Metrics& metrics,
                          const std::vector<ReplicaSummary>& replicas);
// Appends one row, with the header first when the file is new or empty, and a newline first
// when the last line lacks one. Throws std::runtime_error naming the file when its header is not
// tpbench's (csv_report.hpp) or a write fails (with the real errno).
void append_csv(const std::string& path, const RunInfo& info, const Metrics& metrics);
void write_json(const std::string& path, const RunInfo& info, const Metrics& metrics,
                const std::vector<ReplicaSummary>& replicas);
// The --requests-out lines of [begin, end), each ending in '\n'.
std::string requests_jsonl_lines(const RequestRecord* begin, const RequestRecord* end,
                                 bool record_tokens);
void write_requests_jsonl(const std::string& path, const std::vector<RequestRecord>& records,
                          bool record_tokens);

}  // namespace tpbench
