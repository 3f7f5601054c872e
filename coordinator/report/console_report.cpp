// LMDeploy's "Profile Throughput" table (lmdeploy/profiler.py layout), plus RPM, the older
// first-token latency line, failures, and one row per engine replica.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "coordinator/report/report.hpp"
#include "coordinator/report/table_format.hpp"

namespace tpbench {
namespace {

using table::fixed;
using table::integer;

void print_line(std::FILE* out, const std::string& line) {
  std::fprintf(out, "%s\n", line.c_str());
}

std::vector<std::string> distribution_cells(const Distribution& d) {
  if (d.count == 0) return std::vector<std::string>(1 + d.percentiles.size(), "-");
  std::vector<std::string> cells{fixed(d.mean)};
  for (double p : d.percentiles) cells.push_back(fixed(p));
  return cells;
}

std::string fit(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  return width <= 3 ? text.substr(0, width) : text.substr(0, width - 3) + "...";
}

// "0-3" for consecutive ranks, else "0,2,5".
std::string rank_list(const std::vector<int>& ranks) {
  if (ranks.empty()) return "-";
  bool consecutive = true;
  for (size_t i = 1; i < ranks.size(); ++i)
    consecutive = consecutive && ranks[i] == ranks[i - 1] + 1;
  if (consecutive) {
    return ranks.size() == 1 ? std::to_string(ranks[0])
                             : std::to_string(ranks.front()) + "-" + std::to_string(ranks.back());
  }
  std::string s;
  for (int r : ranks) {
    if (!s.empty()) s += ',';
    s += std::to_string(r);
  }
  return s;
}

void print_incomplete_banner(std::FILE* out, const RunInfo& info, const Metrics& m, int width) {
  print_line(out, table::rule(width, '!'));
  print_line(out, "INCOMPLETE RUN: " +
                      (info.incomplete_reason.empty() ? "ended early" : info.incomplete_reason));
  print_line(out, "The figures below cover the " + std::to_string(m.completed + m.failed) + " of " +
                      std::to_string(m.total_requests) + " requests that ended.");
  print_line(out, table::rule(width, '!'));
}

void print_invalid_banner(std::FILE* out, const Validity& v, int width) {
  print_line(out, table::rule(width, '!'));
  for (const std::string& reason : v.reasons) print_line(out, "INVALID RUN: " + reason);
  print_line(out, "Requests were not taken in as scheduled (docs/ARCHITECTURE.md, Validity).");
  print_line(out, table::rule(width, '!'));
}

std::string slo_cell(const char* key, const std::optional<double>& ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s:%g", key, *ms);
  return buf;
}

// The asked and achieved arrival rates and the verdict: open loop only.
void print_open_loop_rows(std::FILE* out, const Metrics& m) {
  const Arrivals& a = m.arrivals;
  print_line(out, table::row("Request rate asked (req/s)",
                             {a.asked_rate ? fixed(*a.asked_rate) : std::string("-")}));
  print_line(out, table::row("Arrival rate achieved (req/s)",
                             {a.achieved_rate ? fixed(*a.achieved_rate) : std::string("-")}));
  print_line(out, table::row("Lag P99 (ms)", {a.taken_in > 0 ? fixed(a.lag_p99_s * 1e3) : "-"}));
  print_line(out, table::row("Load validity", {m.validity.valid ? "VALID" : "INVALID"}));
}

void print_goodput_rows(std::FILE* out, const Goodput& g) {
  std::vector<std::string> slo;
  if (g.slo.ttft_ms) slo.push_back(slo_cell("ttft", g.slo.ttft_ms));
  if (g.slo.tpot_ms) slo.push_back(slo_cell("tpot", g.slo.tpot_ms));
  if (g.slo.e2el_ms) slo.push_back(slo_cell("e2el", g.slo.e2el_ms));
  print_line(out, table::row("Goodput SLO (ms)", slo));
  print_line(out, table::row("Good requests", {integer(static_cast<int64_t>(g.good))}));
  print_line(out, table::row("Good requests (%)", {fixed(g.good_percent)}));
  print_line(out, table::row("Goodput (req/s)", {fixed(g.request_goodput)}));
  print_line(out, table::row("Good output throughput (tok/s)", {fixed(g.output_goodput)}));
}

// "  30 x <reason>", the whole reason (a table cell would cut it), wrapped at the table's width
// on spaces with the continuation lines indented under its first word.
void print_failure_group(std::FILE* out, const FailureGroup& g, int width) {
  const std::string lead = "  " + std::to_string(g.count) + " x ";
  const std::string indent(lead.size(), ' ');
  std::string line = lead;
  size_t begin = 0;
  while (begin < g.reason.size()) {
    size_t end = g.reason.find(' ', begin);
    if (end == std::string::npos) end = g.reason.size();
    const std::string word = g.reason.substr(begin, end - begin);
    const bool line_has_words = line.size() > lead.size();
    if (line_has_words && static_cast<int>(line.size() + 1 + word.size()) > width) {
      print_line(out, line);
      line = indent;
    } else if (line_has_words) {
      line += ' ';
    }
    line += word;
    begin = end + 1;
  }
  print_line(out, line);
}

void print_summary_rows(std::FILE* out, const RunInfo& info, const Metrics& m, int width) {
  const RunOptions& o = info.options;
  print_line(out, table::row("Benchmark duration", {fixed(m.duration_s)}));
  print_line(out, table::row("Total requests", {integer(m.total_requests)}));
  print_line(out, table::row("Successful requests", {integer(m.completed)}));
  // An open loop has no -c: its cap on requests in flight is --max-concurrency (or none).
  if (m.open_loop)
    print_line(out,
               table::row("Max concurrency", {o.max_concurrency > 0 ? integer(o.max_concurrency)
                                                                    : std::string("none")}));
  else
    print_line(out, table::row("Concurrency", {integer(o.concurrency)}));
  print_line(out, table::row("Stream output", {o.stream_output ? "true" : "false"}));
  print_line(out, table::row("Backend", {info.backend.empty() ? "-" : info.backend}));
  // --backend openai: the URLs as given, one a line (replica r is the client of the (r mod
  // count)-th).
  for (size_t i = 0; i < o.engine.openai.base_urls.size(); ++i) {
    std::string line = i == 0 ? "Servers (replica r: r mod count)" : "";
    line.resize(table::kNameWidth, ' ');
    print_line(out, line + o.engine.openai.base_urls[i]);
  }
  print_line(out, table::row("Tensor parallel (TP)", {integer(o.tp)}));
  print_line(out, table::row("Replicas (DP)", {integer(info.replicas)}));
  print_line(out, table::row("World size (ranks)", {integer(info.world_size)}));
  print_line(out, table::row("Dispatch", {std::string(name_of(o.dispatch))}));
  print_line(out, table::row("Start-up (load, KV, warm-up)", {fixed(info.startup_s)}));
  print_line(out, table::row("Total input tokens", {integer(m.total_input_tokens)}));
  print_line(out, table::row("Total generated tokens", {integer(m.total_output_tokens)}));
  if (m.client_counted > 0)
    print_line(out, table::row("Output token mismatches (server/client)",
                               {integer(m.output_token_mismatches)}));
  if (m.client_counted > 0 || m.output_length_mismatches > 0)
    print_line(
        out, table::row("Outputs not of the asked length", {integer(m.output_length_mismatches)}));
  print_line(out, table::row("Input throughput (tok/s)", {fixed(m.input_throughput)}));
  print_line(out, table::row("Output throughput (tok/s)", {fixed(m.output_throughput)}));
  print_line(out, table::row("Total throughput (tok/s)", {fixed(m.total_throughput)}));
  print_line(out, table::row("Request throughput (req/s)", {fixed(m.request_throughput)}));
  print_line(out, table::row("Requests per minute (RPM)", {fixed(m.requests_per_minute)}));
  if (m.open_loop) print_open_loop_rows(out, m);
  if (m.goodput) print_goodput_rows(out, *m.goodput);
  if (m.have_ttft && m.ttft.count > 0) {
    print_line(out, table::row("First token latency min/max/avg (s)",
                               {fixed(m.ttft.min), fixed(m.ttft.max), fixed(m.ttft.mean)}));
  }
  print_line(out, table::row("Failed requests", {integer(m.failed)}));
  for (const FailureGroup& g : m.failure_reasons) print_failure_group(out, g, width);
}

void print_latency_rows(std::FILE* out, const Metrics& m) {
  std::vector<std::string> header{"mean"};
  for (double q : m.percentile_points) header.push_back(table::percentile_label(q));
  print_line(out, table::row("", header));
  print_line(out, table::row("End-to-end Latency", distribution_cells(m.e2e)));
  if (m.open_loop)
    print_line(out,
               table::row("End-to-end Latency from scheduled", distribution_cells(m.e2e_sched)));
  if (m.have_ttft)
    print_line(out, table::row("Time to First Token (TTFT)", distribution_cells(m.ttft)));
  if (m.have_ttft && m.open_loop)
    print_line(out, table::row("TTFT from scheduled", distribution_cells(m.ttft_sched)));
  print_line(out, table::row("Time per Output Token (TPOT)", distribution_cells(m.tpot)));
  if (m.have_itl)
    print_line(out, table::row("Inter-token Latency (ITL)", distribution_cells(m.itl)));
  if (m.open_loop) {
    print_line(out, table::row("Queue time (wait for a slot)", distribution_cells(m.queue)));
    print_line(out, table::row("Lag (taken in late)", distribution_cells(m.lag)));
  }
}

void print_replica_table(std::FILE* out, const std::vector<ReplicaSummary>& replicas, int width) {
  constexpr int kReplica = 8, kRanks = 12, kNumbers = 3 * table::kCellWidth + 12;
  const int host = std::max(12, width - kReplica - kRanks - kNumbers);
  char line[512];
  print_line(out, table::centred("Replicas", width, '-'));
  std::snprintf(line, sizeof line, "%-*s%-*s%-*s%10s%10s%10s%12s", kReplica, "replica", kRanks,
                "ranks", host, "host", "requests", "out tok/s", "busy %", "preemptions");
  print_line(out, line);
  for (const ReplicaSummary& r : replicas) {
    std::snprintf(line, sizeof line, "%-*d%-*s%-*s%10zu%10.3f%10.1f%12lld", kReplica, r.replica,
                  kRanks, fit(rank_list(r.ranks), kRanks - 1).c_str(), host,
                  fit(r.host, host - 1).c_str(), r.requests, r.output_throughput, r.busy_percent,
                  static_cast<long long>(r.stats.preemptions));
    print_line(out, line);
  }
  print_line(out, table::rule(width, '='));
}

}  // namespace

void print_console_report(std::FILE* out, const RunInfo& info, const Metrics& metrics,
                          const std::vector<ReplicaSummary>& replicas) {
  const int width = table::width_for(metrics.percentile_points.size());
  std::fprintf(out, "\n");
  print_line(out, table::centred("Profile Throughput", width, '='));
  if (!info.complete) print_incomplete_banner(out, info, metrics, width);
  if (!metrics.validity.valid) print_invalid_banner(out, metrics.validity, width);
  print_summary_rows(out, info, metrics, width);
  print_line(out, table::rule(width, '-'));
  print_latency_rows(out, metrics);
  print_line(out, table::rule(width, '='));
  if (!replicas.empty()) print_replica_table(out, replicas, width);
  std::fflush(out);
}

}  // namespace tpbench
