#include "coordinator/cli/validate.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <string>

#include "common/error.hpp"

namespace tpbench::cli {
namespace {

namespace fs = std::filesystem;

std::string number(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
}

void require_positive(int64_t value, const char* flag) {
  require(value >= 1,
          std::string(flag) + " must be a positive integer, got " + std::to_string(value));
}

void require_non_negative(int64_t value, const char* flag) {
  require(value >= 0, std::string(flag) + " must be >= 0, got " + std::to_string(value));
}

void require_finite(double value, const char* flag) {
  require(std::isfinite(value),
          std::string(flag) + " must be a finite number, got " + number(value));
}

void require_in_range(double value, double lo, double hi, bool lo_open, const char* flag) {
  require_finite(value, flag);
  const bool above = lo_open ? value > lo : value >= lo;
  require(above && value <= hi, std::string(flag) + " must be in " + (lo_open ? "(" : "[") +
                                    number(lo) + ", " + number(hi) + "], got " + number(value));
}

void require_one_of(const std::string& value, std::initializer_list<const char*> allowed,
                    const char* flag) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += list.empty() ? a : std::string(" | ") + a;
  }
  throw InputError(std::string(flag) + ": unknown value '" + value + "' (expected " + list + ")");
}

void require_file(const std::string& path, const char* what) {
  std::error_code ec;
  require(!path.empty(), std::string(what) + " is empty");
  require(fs::exists(path, ec), std::string(what) + " '" + path + "' not found");
  require(!fs::is_directory(path, ec),
          std::string(what) + " '" + path + "' is a folder, not a file");
}

void require_exists(const std::string& path, const char* what) {
  std::error_code ec;
  require(!path.empty(), std::string(what) + " is empty");
  require(fs::exists(path, ec), std::string(what) + " '" + path + "' not found");
}

// An output file may be new, but the folder it goes into must be there.
void require_output_folder(const std::string& path, const char* flag) {
  if (path.empty()) return;
  std::error_code ec;
  require(!fs::is_directory(path, ec),
          std::string(flag) + " '" + path + "' is a folder, not a file");
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  require(fs::is_directory(parent, ec),
          std::string(flag) + " '" + path + "': folder '" + parent.string() + "' not found");
}

// Nothing reads MODEL when the prompts are token ids and no real engine is built.
bool model_is_needed(const RunOptions& o) {
  return !(o.dataset_name == "token-ids" && (o.backend == "sim" || o.dry_run));
}

void validate_counts(const RunOptions& o) {
  require_positive(o.concurrency, "-c/--concurrency");
  require_positive(o.num_prompts, "-n/--num-prompts");
  require_positive(o.tp, "--tp");
  require_non_negative(o.top_k, "--top-k");
  require_positive(o.cache_block_seq_len, "--cache-block-seq-len");
  if (o.sharegpt_output_len) require_positive(*o.sharegpt_output_len, "--sharegpt-output-len");
  require_positive(o.random_input_len, "--random-input-len");
  require_positive(o.random_output_len, "--random-output-len");
  require_non_negative(o.max_batch_size, "--max-batch-size");
  require_positive(o.max_prefill_tokens, "--max-prefill-tokens");
  require_non_negative(o.kv_cache_bytes, "--kv-cache-bytes");
}

void validate_reals(const RunOptions& o) {
  require_in_range(o.top_p, 0.0, 1.0, true, "--top-p");
  require_in_range(o.temperature, 0.0, 2.0, false, "--temperature");
  require_in_range(o.cache_max_entry_count, 0.0, 1.0, true, "--cache-max-entry-count");
  require_in_range(o.random_range_ratio, 0.0, 1.0, false, "--random-range-ratio");
  require_finite(o.heartbeat_timeout_s, "--heartbeat-timeout");
  require(o.heartbeat_timeout_s > 0,
          "--heartbeat-timeout must be > 0 seconds, got " + number(o.heartbeat_timeout_s));
  require_finite(o.timeout_s, "--timeout");
  require(o.timeout_s >= 0,
          "--timeout must be >= 0 seconds (0 = no limit), got " + number(o.timeout_s));
  require_finite(o.sim_step_ms, "--sim-step-ms");
  require_finite(o.sim_base_ms, "--sim-base-ms");
  require(o.sim_base_ms >= 0, "--sim-base-ms must be >= 0, got " + number(o.sim_base_ms));
  require_finite(o.sim_per_token_us, "--sim-per-token-us");
  require(o.sim_per_token_us >= 0,
          "--sim-per-token-us must be >= 0, got " + number(o.sim_per_token_us));
}

void validate_choices(const RunOptions& o) {
  if (!o.backend.empty()) require_one_of(o.backend, {"cuda", "cpu", "sim"}, "--backend");
  require_one_of(o.dtype, {"auto", "float16", "bfloat16", "float32"}, "--dtype");
  require_one_of(o.dataset_name, {"sharegpt", "random", "token-ids"}, "--dataset-name");
  require_one_of(o.dispatch, {"static", "dynamic"}, "--dispatch");
  require(!o.record_tokens || !o.requests_out_path.empty(),
          "--record-tokens needs --requests-out PATH to write the tokens to");
}

void validate_paths(const RunOptions& o) {
  // Every mode reads DATASET: random takes its prompt text from the ShareGPT file, as
  // LMDeploy's random mode does.
  require_file(o.dataset_path, "DATASET");
  if (model_is_needed(o)) require_exists(o.model_path, "MODEL");
  require_output_folder(o.csv_path, "--csv");
  require_output_folder(o.json_path, "--json");
  require_output_folder(o.requests_out_path, "--requests-out");
  require_output_folder(o.step_profile_out, "--step-profile-out");
}

}  // namespace

std::vector<double> parse_percentile_list(const std::string& text) {
  std::vector<double> points;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const size_t begin = item.find_first_not_of(" \t");
    const size_t end = item.find_last_not_of(" \t");
    const std::string trimmed =
        begin == std::string::npos ? "" : item.substr(begin, end - begin + 1);
    char* stop = nullptr;
    errno = 0;
    const double value = std::strtod(trimmed.c_str(), &stop);
    require(!trimmed.empty() && *stop == '\0' && errno == 0 && std::isfinite(value),
            "--percentiles: '" + trimmed +
                "' is not a number (expected a comma list like 50,75,95,99)");
    require(value >= 0 && value <= 100, "--percentiles: " + trimmed + " is outside [0, 100]");
    points.push_back(value);
  }
  require(!points.empty() && (text.empty() || text.back() != ','),
          "--percentiles: '" + text + "' is not a comma list like 50,75,95,99");
  return points;
}

void validate_options(const RunOptions& options) {
  validate_counts(options);
  validate_reals(options);
  validate_choices(options);
  validate_paths(options);
}

}  // namespace tpbench::cli
