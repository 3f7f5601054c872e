#include "coordinator/cli/validate.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "coordinator/cli/hub_cache.hpp"
#include "engine/openai/request_body.hpp"

namespace tpbench::cli {
namespace {

namespace fs = std::filesystem;

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
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

// Nothing reads MODEL when the prompts are token ids and no real engine is built.
bool model_is_needed(const RunOptions& o) {
  return !(o.dataset_name == DatasetName::kTokenIds &&
           (o.engine.backend == Backend::kSim || o.dry_run));
}

void validate_paths(const RunOptions& o) {
  // Every mode reads DATASET: random takes its prompt text from the ShareGPT file, as
  // LMDeploy's random mode does.
  require_file(o.dataset_path, "DATASET");
  if (model_is_needed(o)) require_exists(o.engine.model_dir, "MODEL");
  // --csv, --json and --requests-out: check_output_paths() on the coordinator's rank.
  // Each leader writes its own --step-profile-out: its folder must exist on every rank.
  if (!o.engine.step_profile_out.empty()) {
    const fs::path parent = fs::path(o.engine.step_profile_out).parent_path();
    std::error_code ec;
    require(parent.empty() || fs::is_directory(parent, ec),
            "--step-profile-out '" + o.engine.step_profile_out + "': folder '" + parent.string() +
                "' not found");
  }
}

// --backend openai's flags: one line naming the flag. A server that cannot be reached or lacks
// the model is found by each client at start (engine/openai/openai_engine.hpp).
void validate_openai(const RunOptions& o) {
  const OpenAiClientOptions& ai = o.engine.openai;
  if (o.engine.backend != Backend::kOpenAi) {
    require(ai.base_urls.empty(), "--base-url: only with --backend openai");
    return;
  }
  require(o.tp == 1, "--tp " + std::to_string(o.tp) +
                         ": --backend openai runs one client per engine rank (tp 1)");
  require(!ai.base_urls.empty(),
          "--backend openai needs --base-url URL (the server, e.g. http://127.0.0.1:8000)");
  for (const std::string& url : ai.base_urls)
    require(url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0,
            "--base-url '" + url + "': expected an http:// or https:// URL");
  require(ai.prompt_format == PromptFormat::kText || ai.endpoint == OpenAiEndpoint::kCompletions,
          "--prompt-format ids: only with --endpoint /v1/completions (chat messages are text)");
  openai::check_extra_body(ai.extra_body);
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
  // Each point once, ascending: the report's columns.
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

GoodputSlo parse_goodput_slo(const std::string& text) {
  const std::string example = " (e.g. --goodput ttft:200 tpot:50 e2el:2000)";
  GoodputSlo slo;
  std::string words = text;
  std::replace(words.begin(), words.end(), ',', ' ');
  std::istringstream in(words);
  std::string word;
  while (in >> word) {
    const size_t colon = word.find(':');
    require(colon != std::string::npos, "--goodput: '" + word + "' is not KEY:MS" + example);
    const std::string key = word.substr(0, colon), value = word.substr(colon + 1);
    std::optional<double>* slot = key == "ttft"   ? &slo.ttft_ms
                                  : key == "tpot" ? &slo.tpot_ms
                                  : key == "e2el" ? &slo.e2el_ms
                                                  : nullptr;
    require(slot != nullptr,
            "--goodput: unknown key '" + key + "' in '" + word + "' (expected ttft, tpot or e2el)");
    char* stop = nullptr;
    errno = 0;
    const double ms = std::strtod(value.c_str(), &stop);
    require(!value.empty() && *stop == '\0' && errno == 0 && std::isfinite(ms) && ms >= 0,
            "--goodput: '" + word + "': the SLO must be a number of ms >= 0");
    require(!slot->has_value(), "--goodput: " + key + " given twice");
    *slot = ms;
  }
  require(slo.any(), "--goodput: expected KEY:MS words" + example);
  return slo;
}

void resolve_model(RunOptions& options) {
  try {
    options.engine.model_dir =
        resolve_model_dir(options.model, options.revision, process_environment());
  } catch (const InputError&) {
    // A run that never reads MODEL keeps it as written.
    if (model_is_needed(options) || !options.revision.empty()) throw;
    options.engine.model_dir = options.model;
  }
}

void validate_options(const RunOptions& options) {
  require(!options.record_tokens || !options.requests_out_path.empty(),
          "--record-tokens needs --requests-out PATH to write the tokens to");
  validate_load_options(options);
  require(!options.goodput.ttft_ms || options.stream_output,
          "--goodput ttft: TTFT is not measured with --no-stream-output");
  validate_paths(options);
  if (!options.trace_path.empty()) require_file(options.trace_path, "--trace");
  validate_openai(options);
}

}  // namespace tpbench::cli
