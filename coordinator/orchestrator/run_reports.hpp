#pragma once
// Assembles RunInfo / ReplicaSummary from what the coordinator learned and writes every report
// the command line asks for (console, --csv, --json, --requests-out), complete or partial.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/gpu_identity.hpp"
#include "common/run_options.hpp"
#include "common/wire/messages.hpp"
#include "coordinator/orchestrator/record_collector.hpp"

namespace tpbench {

struct ReplicaState {
  int replica = 0;
  int leader_rank = 0;
  std::vector<int> ranks;
  std::string host;
  std::string engine;
  double startup_s = 0;  // the leader's engine build (load, KV cache, warm-up), from ready
  int slots = 0;
  bool ready = false;
  bool failed = false;
  bool done = false;
  uint64_t records_sent = 0;
  EngineStats stats;
};

struct RunDescription {
  RunOptions options;
  std::string backend;
  int world_size = 1;
  std::vector<std::string> rank_hosts;   // world rank -> host
  std::map<int, GpuIdentity> rank_gpus;  // world rank -> its GPU, from its heartbeats (cuda only)
  int64_t t0_skew_ns = 0;
  std::string started_at;
  double startup_s = 0;  // coordinator created -> t0 (or -> the fault, when start-up failed)
  // The requests carry a schedule (the load flags, or the test hook that feeds one): the
  // open-loop metrics are reported whatever the flags say.
  bool open_loop = false;
};

// Returns false when a report file could not be written (the reason is logged). The files come
// first and the console last: a run ended by a signal has about a second before SIGKILL.
// requests_out_streamed: the caller writes --requests-out itself (streamed during the run).
bool write_run_reports(const RunDescription& run, const RecordCollector& records,
                       const std::vector<ReplicaState>& replicas, bool complete,
                       const std::string& incomplete_reason, std::FILE* console,
                       bool requests_out_streamed = false);

}  // namespace tpbench
