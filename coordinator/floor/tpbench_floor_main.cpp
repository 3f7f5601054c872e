// tpbench_floor: the idealised floor of a workload on one card (docs/PERFORMANCE.md).
//   tpbench_floor DATASET MODEL --inputs FLOOR.json [-n N] [--seed S] [-c C] [dataset flags]
//   tpbench_floor --requests-jsonl REQUESTS.jsonl --inputs FLOOR.json [-c C]
// The workload is built exactly as profile_throughput builds it (same flags and defaults), or
// read back from a run's --requests-out file (prompt_tokens, output_tokens, in id order).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/run_options.hpp"
#include "coordinator/cli/hub_cache.hpp"
#include "coordinator/floor/floor_json.hpp"
#include "coordinator/floor/floor_model.hpp"
#include "coordinator/workload/workload.hpp"

namespace tpbench {
namespace {

std::vector<FloorRequest> requests_from_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the requests file");
  std::vector<std::pair<int64_t, FloorRequest>> rows;
  std::string line;
  for (int64_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    const std::string where = path + ":" + std::to_string(line_no);
    if (j.is_discarded() || !j.is_object()) throw InputError(where + ": not a JSON object");
    for (const char* key : {"id", "prompt_tokens", "output_tokens"})
      if (!j.contains(key) || !j[key].is_number_integer())
        throw InputError(where + ": field \"" + key + "\" is missing or not an integer");
    rows.push_back({j["id"].get<int64_t>(),
                    {j["prompt_tokens"].get<int64_t>(), j["output_tokens"].get<int64_t>()}});
  }
  if (rows.empty()) throw InputError(path + ": no requests");
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<FloorRequest> requests;
  for (const auto& row : rows) requests.push_back(row.second);
  return requests;
}

std::vector<FloorRequest> requests_from_workload(const RunOptions& options) {
  const Workload w = build_workload(options);
  std::vector<FloorRequest> requests;
  for (const WorkloadRequest& r : w.requests) requests.push_back({r.prompt_len, r.output_len});
  return requests;
}

int run(int argc, char** argv) {
  CLI::App app{"tpbench_floor: the idealised floor (GEMMs + KV reads) of a workload on a card",
               "tpbench_floor"};
  RunOptions o;
  std::string inputs_path, jsonl_path, json_out;
  std::optional<int> sharegpt_output_len;
  std::string dataset_name = "sharegpt";
  app.add_option("DATASET", o.dataset_path, "Dataset file, as profile_throughput takes it");
  app.add_option("MODEL", o.engine.model_dir,
                 "Model directory or cached hub id (its tokenizer builds the workload)");
  app.add_option("--inputs", inputs_path,
                 "Floor-inputs JSON of the card (tests/engine/cuda/measure_floor_inputs)")
      ->required();
  app.add_option("--requests-jsonl", jsonl_path,
                 "Take (prompt, output) lengths from a profile_throughput --requests-out file");
  app.add_option("-c,--concurrency", o.concurrency, "Requests in flight");
  app.add_option("-n,--num-prompts", o.num_prompts, "Number of prompts to sample");
  app.add_option("--seed", o.seed, "Seed of the dataset shuffle");
  app.add_option("--dataset-name", dataset_name, enum_choices<DatasetName>());
  app.add_option("--sharegpt-output-len", sharegpt_output_len,
                 "Output length of every ShareGPT request");
  app.add_option("--random-input-len", o.random_input_len, "Prompt length of random requests");
  app.add_option("--random-output-len", o.random_output_len, "Output length of random requests");
  app.add_option("--random-range-ratio", o.random_range_ratio,
                 "Random lengths are drawn from [len * ratio, len]");
  app.add_option("--json", json_out, "Also write the result as JSON to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tpbench_floor: %s\n", e.what());
    return kExitBadInput;
  }
  o.sharegpt_output_len = sharegpt_output_len;
  const std::optional<DatasetName> name = enum_from_name<DatasetName>(dataset_name);
  if (!name)
    throw InputError("--dataset-name: unknown value '" + dataset_name + "' (expected " +
                     enum_choices<DatasetName>() + ")");
  o.dataset_name = *name;
  const bool from_dataset = !o.dataset_path.empty();
  if (from_dataset == !jsonl_path.empty())
    throw InputError("give either DATASET MODEL or --requests-jsonl");
  if (from_dataset && o.engine.model_dir.empty())
    throw InputError("MODEL is required with DATASET (its tokenizer builds the workload)");
  if (from_dataset)  // a hub id, as profile_throughput takes it
    o.engine.model_dir = cli::resolve_model_dir(o.engine.model_dir, "", cli::process_environment());

  const FloorInputs inputs = load_floor_inputs(inputs_path);
  const std::vector<FloorRequest> requests =
      from_dataset ? requests_from_workload(o) : requests_from_jsonl(jsonl_path);
  const FloorResult r = compute_floor(requests, o.concurrency, inputs);
  std::printf("floor (%s): %lld requests, %lld prompt + %lld output tokens, concurrency %d\n",
              inputs.card.empty() ? "unknown card" : inputs.card.c_str(),
              static_cast<long long>(r.requests), static_cast<long long>(r.prompt_tokens),
              static_cast<long long>(r.output_tokens), o.concurrency);
  std::printf("floor_s       %.3f  (GEMMs %.3f s + K/V reads %.3f s, %lld steps)\n", r.seconds,
              r.gemm_seconds, r.kv_seconds, static_cast<long long>(r.steps));
  std::printf("output tok/s  %.1f\n", r.output_tok_s);
  std::printf("req/s         %.3f\n", r.req_s);
  if (!json_out.empty()) {
    std::ofstream out(json_out);
    out << floor_result_json(r, inputs, o.concurrency) << '\n';
    if (!out) throw InputError(json_out + ": cannot write the JSON result");
  }
  return kExitOk;
}

}  // namespace
}  // namespace tpbench

int main(int argc, char** argv) {
  try {
    return tpbench::run(argc, argv);
  } catch (const tpbench::InputError& e) {
    std::fprintf(stderr, "tpbench_floor: %s\n", e.what());
    return tpbench::kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tpbench_floor: %s\n", e.what());
    return tpbench::kExitRunFailed;
  }
}
