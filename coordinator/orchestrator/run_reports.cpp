#include "coordinator/orchestrator/run_reports.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "coordinator/report/metrics.hpp"
#include "coordinator/report/report.hpp"

#ifndef TPBENCH_VERSION
#define TPBENCH_VERSION "unknown"
#endif

namespace tpbench {

bool write_run_reports(const RunDescription& run, const RecordCollector& records,
                       const std::vector<ReplicaState>& replicas, bool complete,
                       const std::string& incomplete_reason, std::FILE* console,
                       bool requests_out_streamed) {
  const RunOptions& o = run.options;
  MetricsOptions metrics_options = metrics_options_for(o);
  metrics_options.open_loop = metrics_options.open_loop || run.open_loop;
  Metrics metrics = compute_metrics(records.records(), records.total(), metrics_options);

  RunInfo info;
  info.options = o;
  info.backend = run.backend;
  info.tpbench_version = TPBENCH_VERSION;
  info.started_at = run.started_at;
  info.world_size = run.world_size;
  info.replicas = static_cast<int>(replicas.size());
  for (const auto& h : run.rank_hosts)
    if (std::find(info.hosts.begin(), info.hosts.end(), h) == info.hosts.end())
      info.hosts.push_back(h);
  for (const auto& [rank, gpu] : run.rank_gpus) info.gpus.push_back({rank, gpu});
  info.t0_skew_ns = run.t0_skew_ns;
  info.startup_s = run.startup_s;
  info.complete = complete;
  info.incomplete_reason = incomplete_reason;

  std::vector<ReplicaSummary> summaries;
  for (const auto& r : replicas) {
    ReplicaSummary s;
    s.replica = r.replica;
    s.leader_rank = r.leader_rank;
    s.ranks = r.ranks;
    s.host = r.host;
    s.engine = r.engine;
    s.startup_s = r.startup_s;
    s.stats = r.stats;
    summaries.push_back(std::move(s));
  }
  for (const auto& rec : records.records()) {
    if (!rec.ok || rec.replica < 0 || static_cast<size_t>(rec.replica) >= summaries.size())
      continue;
    ++summaries[rec.replica].requests;
    summaries[rec.replica].output_tokens += rec.output_tokens;
  }
  for (auto& s : summaries) {
    if (metrics.duration_s > 0) {
      s.output_throughput = static_cast<double>(s.output_tokens) / metrics.duration_s;
      s.busy_percent = 100.0 * static_cast<double>(s.stats.busy_ns) * 1e-9 / metrics.duration_s;
    }
  }

  bool ok = true;
  auto attempt = [&](const char* what, auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      log_error(std::string("cannot write ") + what + ": " + e.what());
      ok = false;
    }
  };
  if (!o.csv_path.empty()) attempt("--csv", [&] { append_csv(o.csv_path, info, metrics); });
  if (!o.json_path.empty())
    attempt("--json", [&] { write_json(o.json_path, info, metrics, summaries); });
  if (!o.requests_out_path.empty() && !requests_out_streamed)
    attempt("--requests-out",
            [&] { write_requests_jsonl(o.requests_out_path, records.records(), o.record_tokens); });
  if (console)
    attempt("the console report", [&] { print_console_report(console, info, metrics, summaries); });
  if (console) std::fflush(console);
  return ok;
}

}  // namespace tpbench
