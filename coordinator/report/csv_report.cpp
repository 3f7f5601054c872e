// --csv: one row per run, appended; LMDeploy's current columns first, then tpbench's.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "coordinator/report/csv_report.hpp"
#include "coordinator/report/output_file.hpp"
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
    "complete", "startup_s",
    // open loop, goodput and validity (docs/ARCHITECTURE.md "Goodput and validity")
    "mean_ttft_from_scheduled_ms", "p99_ttft_from_scheduled_ms", "mean_e2e_from_scheduled_ms",
    "p99_e2e_from_scheduled_ms", "mean_queue_ms", "p99_queue_ms", "mean_lag_ms", "p99_lag_ms",
    "max_lag_ms", "request_rate", "achieved_rate", "goodput_slo", "goodput",
    "goodput_output_throughput", "good_percent", "valid", "invalid_reasons"};

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

std::string optional_fixed3(const std::optional<double>& value) {
  return value ? fixed3(*value) : "-";
}

// "ttft:200 tpot:50", the form --goodput takes; "" without one.
std::string slo_text(const GoodputSlo& slo) {
  std::string text;
  auto add = [&text](const char* key, const std::optional<double>& ms) {
    if (!ms) return;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s:%g", text.empty() ? "" : " ", key, *ms);
    text += buf;
  };
  add("ttft", slo.ttft_ms);
  add("tpot", slo.tpot_ms);
  add("e2el", slo.e2el_ms);
  return text;
}

std::string joined_reasons(const std::vector<std::string>& reasons) {
  std::string text;
  for (const std::string& r : reasons) text += (text.empty() ? "" : "; ") + r;
  return text;
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
          fixed3(info.startup_s),
          mean_ms(m.ttft_sched, m.have_ttft),
          p99_ms(m, m.ttft_sched, m.have_ttft),
          mean_ms(m.e2e_sched, true),
          p99_ms(m, m.e2e_sched, true),
          mean_ms(m.queue, true),
          p99_ms(m, m.queue, true),
          mean_ms(m.lag, true),
          m.arrivals.taken_in > 0 ? fixed3(m.arrivals.lag_p99_s * 1e3) : "-",
          m.lag.count > 0 ? fixed3(m.lag.max * 1e3) : "-",
          optional_fixed3(m.arrivals.asked_rate),
          optional_fixed3(m.arrivals.achieved_rate),
          m.goodput ? slo_text(m.goodput->slo) : "",
          m.goodput ? fixed3(m.goodput->request_goodput) : "-",
          m.goodput ? fixed3(m.goodput->output_goodput) : "-",
          m.goodput ? fixed3(m.goodput->good_percent) : "-",
          m.validity.valid ? "true" : "false",
          joined_reasons(m.validity.reasons)};
}

std::string joined_fields(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    line += quoted(fields[i]);
  }
  return line;
}

std::string joined(const std::vector<std::string>& fields) {
  return joined_fields(fields) + "\n";
}

const std::string& header_line() {
  static const std::string line = joined_fields(kColumns);
  return line;
}

struct CsvFileState {
  bool empty = true;       // missing, no bytes, or not a regular file (never read)
  std::string first_line;  // without its line ending
  bool ends_with_newline = true;
  int read_error = 0;  // errno of a failed open/read
};

// Reads the regular file at path (through symlinks); a device or FIFO is not read.
CsvFileState inspect_csv(const std::string& path) {
  CsvFileState state;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return state;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    state.read_error = errno;
    return state;
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) state.read_error = errno;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (state.read_error != 0 || text.empty()) return state;
  state.empty = false;
  state.ends_with_newline = text.back() == '\n';
  state.first_line = text.substr(0, text.find('\n'));
  if (!state.first_line.empty() && state.first_line.back() == '\r') state.first_line.pop_back();
  return state;
}

// Where a foreign header first departs from tpbench's columns, in words.
std::string first_difference(const std::string& line) {
  std::vector<std::string> fields;
  size_t begin = 0;
  for (;;) {
    const size_t comma = line.find(',', begin);
    fields.push_back(line.substr(begin, comma == std::string::npos ? comma : comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  for (size_t i = 0;; ++i) {
    const std::string column = std::to_string(i + 1);
    if (i >= fields.size()) {
      return "it has " + std::to_string(fields.size()) + " columns where tpbench writes " +
             std::to_string(kColumns.size()) + "; column " + column + " would be '" + kColumns[i] +
             "'";
    }
    if (i >= kColumns.size()) {
      return "its column " + column + " '" + fields[i] + "' is past tpbench's " +
             std::to_string(kColumns.size()) + " columns";
    }
    if (fields[i] != kColumns[i]) {
      return "its column " + column + " is '" + fields[i] + "' where tpbench writes '" +
             kColumns[i] + "'";
    }
  }
}

}  // namespace

const std::vector<std::string>& csv_columns() {
  return kColumns;
}

std::string csv_header_conflict(const std::string& path) {
  const CsvFileState file = inspect_csv(path);
  if (file.read_error != 0) {
    return std::string("cannot read its header: ") + std::strerror(file.read_error);
  }
  if (file.empty || file.first_line == header_line()) return "";
  return "its header is not tpbench's: " + first_difference(file.first_line);
}

void append_csv(const std::string& path, const RunInfo& info, const Metrics& metrics) {
  if (path.empty()) return;
  const CsvFileState file = inspect_csv(path);
  std::string text;
  if (file.read_error != 0) {
    throw std::runtime_error("'" + path +
                             "': cannot read its header: " + std::strerror(file.read_error));
  }
  if (file.empty) {
    text = header_line() + "\n";
  } else if (file.first_line != header_line()) {
    throw std::runtime_error("'" + path + "': its header is not tpbench's (" +
                             first_difference(file.first_line) + "); the row was not appended");
  } else if (!file.ends_with_newline) {
    text = "\n";  // a last line without its newline would swallow the row
  }
  text += joined(row_values(info, metrics));
  append_to_file(path, text);
}

}  // namespace tpbench
