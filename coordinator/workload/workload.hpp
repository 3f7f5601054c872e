#pragma once
// Turns DATASET + MODEL into the exact list of requests LMDeploy's profile_throughput.py
// would send (docs/ARCHITECTURE.md, "Request semantics").
#include <cstdio>
#include <string>
#include <vector>

#include "common/run_options.hpp"
#include "common/workload.hpp"

namespace tpbench {

struct Workload {
  std::vector<WorkloadRequest> requests;  // in sampled order; requests[i].id == i
  std::string dataset_name;               // sharegpt | random | token-ids
  std::string tokenizer_kind;             // "" for token-ids
  size_t dataset_records = 0;             // records in the file
  size_t eligible = 0;                    // records that pass the shape filters (>= 2 turns)
  size_t examined = 0;                    // shuffled candidates tokenized before enough were kept
  size_t rejected = 0;                    // examined but dropped by the length filters
  double load_seconds = 0;
  double tokenize_seconds = 0;
  // Open loop: every request's scheduled_ns is set (coordinator/load/).
  std::string trace_path;  // --trace: the trace the arrivals and lengths come from
  size_t trace_rows = 0;   // rows in that trace
  size_t cycled_from = 0;  // --duration: the requests reuse this many sampled ones in turn
};

// Throws InputError naming the file, record index or flag on bad input, and when no request
// survives the filters. Fewer survivors than --num-prompts: a warning, then what there is.
// In an open loop (is_open_loop) every request gets its scheduled_ns; the sampled requests are
// the same as without the load flags (--duration repeats them, --trace builds its own).
Workload build_workload(const RunOptions& options);

// Open loop, the dataset already sampled: sets scheduled_ns from --request-rate, --burstiness,
// a ramp and --seed. With --duration the requests become as many as arrive before it, request
// i a copy of sampled request i mod n (with id i).
void schedule_arrivals(Workload& workload, const RunOptions& options);

// --dry-run's report: requests, total / mean / percentile prompt and output tokens, and
// LMDeploy's "#Input tokens:" / "#Output tokens:" lines.
void print_workload_summary(const Workload& workload, const RunOptions& options, std::FILE* out);

}  // namespace tpbench
