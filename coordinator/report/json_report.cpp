// --json: the whole run (config, environment, metrics, replicas) in one file, written atomically.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/report/options_json.hpp"
#include "coordinator/report/output_file.hpp"
#include "coordinator/report/report.hpp"

namespace tpbench {
namespace {

using Json = nlohmann::ordered_json;

std::string percentile_key(double q) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "p%g", q);
  return buf;
}

Json distribution_json(const Distribution& d, const std::vector<double>& points) {
  Json j;
  j["count"] = d.count;
  const bool any = d.count > 0;
  j["mean"] = any ? Json(d.mean) : Json(nullptr);
  j["min"] = any ? Json(d.min) : Json(nullptr);
  j["max"] = any ? Json(d.max) : Json(nullptr);
  j["std"] = any ? Json(d.std) : Json(nullptr);
  for (size_t i = 0; i < points.size() && i < d.percentiles.size(); ++i) {
    j[percentile_key(points[i])] = any ? Json(d.percentiles[i]) : Json(nullptr);
  }
  return j;
}

Json environment_json(const RunInfo& info) {
  Json j;
  j["backend"] = info.backend;
  j["world_size"] = info.world_size;
  j["tp"] = info.options.tp;
  j["dp"] = info.replicas;
  j["hosts"] = info.hosts;
  if (info.options.engine.backend == Backend::kOpenAi)
    j["servers"] = info.options.engine.openai.base_urls;  // replica r: servers[r % size]
  j["gpus"] = Json::array();
  for (const RankGpu& g : info.gpus)
    j["gpus"].push_back({{"rank", g.rank},
                         {"name", g.gpu.name},
                         {"pci_bus_id", g.gpu.pci_bus_id},
                         {"total_memory", g.gpu.total_memory}});
  j["versions"] = {{"tpbench", info.tpbench_version},
                   {"compiler", __VERSION__},
                   {"cplusplus", static_cast<long>(__cplusplus)}};
  j["started_at"] = info.started_at;
  j["t0_skew_ns"] = info.t0_skew_ns;
  return j;
}

Json optional_number(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json arrivals_json(const Arrivals& a) {
  const bool any = a.taken_in > 0;
  return {{"taken_in", a.taken_in},
          {"first_submit_s", any ? Json(a.first_submit_s) : Json(nullptr)},
          {"last_submit_s", any ? Json(a.last_submit_s) : Json(nullptr)},
          {"asked_rate", optional_number(a.asked_rate)},
          {"achieved_rate", optional_number(a.achieved_rate)},
          {"lag_p99_s", any ? Json(a.lag_p99_s) : Json(nullptr)}};
}

Json goodput_json(const Goodput& g) {
  return {{"slo_ms", goodput_slo_json(g.slo)},
          {"good_requests", g.good},
          {"good_percent", g.good_percent},
          {"request_goodput", g.request_goodput},
          {"output_goodput", g.output_goodput}};
}

Json metrics_json(const Metrics& m) {
  Json j;
  j["percentile_points"] = m.percentile_points;
  j["total_requests"] = m.total_requests;
  j["completed"] = m.completed;
  j["failed"] = m.failed;
  j["failure_reasons"] = Json::array();
  for (const FailureGroup& g : m.failure_reasons)
    j["failure_reasons"].push_back({{"reason", g.reason}, {"count", g.count}});
  j["total_input_tokens"] = m.total_input_tokens;
  j["total_output_tokens"] = m.total_output_tokens;
  j["output_token_mismatches"] = m.output_token_mismatches;    // server usage vs client count
  j["output_length_mismatches"] = m.output_length_mismatches;  // output_tokens vs the asked length
  j["duration_s"] = m.duration_s;
  j["input_throughput"] = m.input_throughput;
  j["output_throughput"] = m.output_throughput;
  j["total_throughput"] = m.total_throughput;
  j["request_throughput"] = m.request_throughput;
  j["requests_per_minute"] = m.requests_per_minute;
  j["have_ttft"] = m.have_ttft;
  j["have_itl"] = m.have_itl;
  j["latency_unit"] = "s";
  j["e2e"] = distribution_json(m.e2e, m.percentile_points);
  j["ttft"] = m.have_ttft ? distribution_json(m.ttft, m.percentile_points) : Json(nullptr);
  j["tpot"] = distribution_json(m.tpot, m.percentile_points);
  j["itl"] = m.have_itl ? distribution_json(m.itl, m.percentile_points) : Json(nullptr);
  j["open_loop"] = m.open_loop;
  j["e2e_from_scheduled"] = distribution_json(m.e2e_sched, m.percentile_points);
  j["ttft_from_scheduled"] =
      m.have_ttft ? distribution_json(m.ttft_sched, m.percentile_points) : Json(nullptr);
  j["queue"] = distribution_json(m.queue, m.percentile_points);
  j["lag"] = distribution_json(m.lag, m.percentile_points);
  j["arrivals"] = arrivals_json(m.arrivals);
  j["goodput"] = m.goodput ? goodput_json(*m.goodput) : Json(nullptr);
  return j;
}

Json replica_json(const ReplicaSummary& r) {
  return {{"replica", r.replica},
          {"leader_rank", r.leader_rank},
          {"ranks", r.ranks},
          {"host", r.host},
          {"engine", r.engine},
          {"startup_s", r.startup_s},
          {"requests", r.requests},
          {"output_tokens", r.output_tokens},
          {"output_throughput", r.output_throughput},
          {"busy_ns", r.stats.busy_ns},
          {"busy_percent", r.busy_percent},
          {"preemptions", r.stats.preemptions},
          {"steps", r.stats.steps},
          {"prefill_tokens", r.stats.prefill_tokens},
          {"decode_tokens", r.stats.decode_tokens},
          {"kv_blocks_total", r.stats.kv_blocks_total}};
}

}  // namespace

void write_json(const std::string& path, const RunInfo& info, const Metrics& metrics,
                const std::vector<ReplicaSummary>& replicas) {
  if (path.empty()) return;
  Json j;
  j["tpbench_version"] = info.tpbench_version;
  j["complete"] = info.complete;
  j["incomplete_reason"] = info.complete ? Json(nullptr) : Json(info.incomplete_reason);
  j["valid"] = metrics.validity.valid;
  j["invalid_reasons"] = metrics.validity.reasons;
  j["startup_s"] = info.startup_s;
  j["config"] = options_to_json(info.options);
  j["environment"] = environment_json(info);
  j["metrics"] = metrics_json(metrics);
  j["replicas"] = Json::array();
  for (const ReplicaSummary& r : replicas) j["replicas"].push_back(replica_json(r));
  const std::string text = j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace tpbench
