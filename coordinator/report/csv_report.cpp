// --csv: one row per run, appended; LMDeploy's current columns first, then tpbench's.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "coordinator/report/report.hpp"

namespace tpbench {
namespace {

const std::vector<std::string> kColumns = {
    // LMDeploy benchmark/profile_throughput.py
    "backend", "bs", "dataset_name", "sharegpt_output_len", "random_input_len", "random_output_len",
    "random_range_ratio", "num_prompts", "completed", "total_input_tokens", "total_output_tokens",
    "duration", "request_throughput", "input_throughput", "output_throughput",
    "mean_e2e_latency_ms", "mean_ttft_ms", "mean_tpot_ms", "mean_itl_ms",
    // tpbench
    "tp", "dp", "world", "rpm", "p99_e2e_ms", "p99_ttft_ms", "p99_tpot_ms", "p99_itl_ms", "failed",
    "complete", "startup_s"};

std::string fixed3(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

std::string mean_ms(const Distribution& d, bool have) {
  return have && d.count > 0 ? fixed3(d.mean * 1e3) : "-";
}

std::string p99_ms(const Metrics& m, const Distribution& d, bool have) {
  if (!have || d.count == 0) return "-";
  for (size_t i = 0; i < m.percentile_points.size(); ++i) {
    if (m.percentile_points[i] == 99.0) return fixed3(d.percentiles[i] * 1e3);
  }
  return "-";  // 99 not among --percentiles
}

// RFC 4180 quoting, only where a field needs it.
std::string quoted(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string q = "\"";
  for (char c : field) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::vector<std::string> row_values(const RunInfo& info, const Metrics& m) {
  const RunOptions& o = info.options;
  return {info.backend,
          std::to_string(o.concurrency),
          std::string(name_of(o.dataset_name)),
          o.sharegpt_output_len ? std::to_string(*o.sharegpt_output_len) : "",
          std::to_string(o.random_input_len),
          std::to_string(o.random_output_len),
          fixed3(o.random_range_ratio),
          std::to_string(o.num_prompts),
          std::to_string(m.completed),
          std::to_string(m.total_input_tokens),
          std::to_string(m.total_output_tokens),
          fixed3(m.duration_s),
          fixed3(m.request_throughput),
          fixed3(m.input_throughput),
          fixed3(m.output_throughput),
          mean_ms(m.e2e, true),
          mean_ms(m.ttft, m.have_ttft),
          mean_ms(m.tpot, true),
          mean_ms(m.itl, m.have_itl),
          std::to_string(o.tp),
          std::to_string(info.replicas),
          std::to_string(info.world_size),
          fixed3(m.requests_per_minute),
          p99_ms(m, m.e2e, true),
          p99_ms(m, m.ttft, m.have_ttft),
          p99_ms(m, m.tpot, true),
          p99_ms(m, m.itl, m.have_itl),
          std::to_string(m.failed),
          info.complete ? "true" : "false",
          fixed3(info.startup_s)};
}

std::string joined(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    line += quoted(fields[i]);
  }
  return line + "\n";
}

}  // namespace

void append_csv(const std::string& path, const RunInfo& info, const Metrics& metrics) {
  if (path.empty()) return;
  std::error_code ec;
  const bool needs_header =
      !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  std::string text = needs_header ? joined(kColumns) : "";
  text += joined(row_values(info, metrics));

  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw std::runtime_error("--csv '" + path + "': " + std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !written) {
    throw std::runtime_error("--csv '" + path + "': " + std::strerror(err));
  }
}

}  // namespace tpbench
