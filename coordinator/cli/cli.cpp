#include "coordinator/cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "coordinator/cli/validate.hpp"

#ifndef TPBENCH_VERSION
#define TPBENCH_VERSION "unknown"
#endif

namespace tpbench {
namespace {

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// mpirun starts every rank with the same argv; only one of them should print --help.
bool is_first_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (const char* value = std::getenv(var)) return std::string(value) == "0";
  }
  return true;
}

struct Bindings {
  bool no_stream_output = false;
  int sharegpt_output_len = 0;
  std::string percentiles = "50,75,95,99";
  CLI::Option* sharegpt_output_len_option = nullptr;
};

void add_lmdeploy_options(CLI::App& app, RunOptions& o, Bindings& b) {
  app.add_option("DATASET", o.dataset_path,
                 "Dataset file: ShareGPT JSON (sharegpt; random takes its prompt text from it), "
                 "or JSON lines of {\"input_ids\", \"output_len\"} (token-ids)")
      ->required();
  app.add_option("MODEL", o.model_path,
                 "Model directory (HF config.json, *.safetensors, tokenizer files)")
      ->required();
  app.add_option("-c,--concurrency", o.concurrency,
                 "Requests in flight over the whole cluster (closed loop)");
  app.add_option("-n,--num-prompts", o.num_prompts, "Number of prompts to sample and run");
  app.add_option("--seed", o.seed, "Seed of the dataset shuffle (CPython random.seed)");
  app.add_option("--tp", o.tp, "Tensor-parallel ranks per engine replica");
  app.add_option("--backend", o.backend,
                 "cuda | cpu | sim; default: cuda when a GPU is visible, else cpu")
      ->default_str("auto");
  app.add_option("--top-k", o.top_k, "Sampling top-k (1 = greedy; 0 = whole vocabulary)");
  app.add_option("--top-p", o.top_p, "Sampling top-p, in (0, 1]");
  app.add_option("--temperature", o.temperature, "Sampling temperature, in [0, 2]");
  app.add_option("--cache-max-entry-count", o.cache_max_entry_count,
                 "Fraction of free GPU memory given to the KV cache, in (0, 1]");
  app.add_option("--cache-block-seq-len", o.cache_block_seq_len, "Tokens per KV-cache block");
  app.add_option("--dtype", o.dtype, "auto | float16 | bfloat16 | float32");
  app.add_flag("--no-stream-output", b.no_stream_output,
               "Do not stream tokens: no TTFT / ITL in the report");
  app.add_option("--csv", o.csv_path, "Append the result row to this CSV file (\"\" = none)");
  app.add_option("--dataset-name", o.dataset_name, "sharegpt | random | token-ids");
  b.sharegpt_output_len_option =
      app.add_option(
             "--sharegpt-output-len", b.sharegpt_output_len,
             "Output length of every ShareGPT request instead of the dataset's completion length")
          ->default_str("");
  app.add_option("--random-input-len", o.random_input_len, "Prompt length of random requests");
  app.add_option("--random-output-len", o.random_output_len, "Output length of random requests");
  app.add_option("--random-range-ratio", o.random_range_ratio,
                 "Random lengths are drawn from [len * ratio, len], ratio in [0, 1]");
  app.add_flag("--skip-tokenize", o.skip_tokenize,
               "Accepted for LMDeploy compatibility: tpbench always sends token ids");
}

void add_tpbench_options(CLI::App& app, RunOptions& o, Bindings& b) {
  app.add_option("--json", o.json_path,
                 "Write every setting, metric and replica to this JSON file");
  app.add_option("--requests-out", o.requests_out_path,
                 "Write one JSON line per request (its timings) to this file");
  app.add_flag("--record-tokens", o.record_tokens,
               "Also write each request's generated token ids to --requests-out");
  app.add_option("--percentiles", b.percentiles, "Latency percentiles, comma list in [0, 100]");
  app.add_option("--dispatch", o.dispatch,
                 "static: shard requests over replicas up front; dynamic: hand out on demand");
  app.add_flag("--dummy-weights", o.dummy_weights,
               "Random weights from config.json alone (no checkpoint needed)");
  app.add_option("--max-batch-size", o.max_batch_size,
                 "Sequences per engine step per replica (0 = the replica's concurrency share)");
  app.add_option("--max-prefill-tokens", o.max_prefill_tokens, "Prompt tokens per engine step");
  app.add_flag("--cuda-graphs,!--no-cuda-graphs", o.cuda_graphs,
               "cuda backend: replay decode steps from CUDA graphs (default on)");
  app.add_option("--kv-cache-bytes", o.kv_cache_bytes,
                 "KV-cache bytes per rank; overrides --cache-max-entry-count (0 = unset)");
  app.add_option("--heartbeat-timeout", o.heartbeat_timeout_s,
                 "Seconds a rank may go without a heartbeat, or a leader stay in one engine step, "
                 "before the run ends as incomplete");
  app.add_option("--timeout", o.timeout_s, "Stop the run after this many seconds (0 = no limit)");
  app.add_flag("--dry-run", o.dry_run, "Sample and tokenize, print the workload, exit");
  app.add_flag("--coordinator-only-rank", o.coordinator_only_rank,
               "Rank 0 only coordinates; engines run on ranks 1..W-1");
  app.add_option("--coordinator-addr", o.coordinator_addr,
                 "IP, interface or host name the coordinator binds (default: loopback on one host, "
                 "else all interfaces)");
  app.add_option("--sim-step-ms", o.sim_step_ms,
                 "sim backend: fixed step time in ms (< 0: base + per-token model)")
      ->default_str("-1");
  app.add_option("--sim-base-ms", o.sim_base_ms, "sim backend: step time base in ms");
  app.add_option("--sim-per-token-us", o.sim_per_token_us,
                 "sim backend: step time per token in the step, in us");
  app.add_option("--step-profile-out", o.step_profile_out,
                 "Write each engine step's shape and forward time (CSV; PATH.replicaN per replica "
                 "when there are several)");
  app.add_option("--sim-profile", o.sim_profile,
                 "sim backend: fit the step time to these --step-profile-out files (comma list)");
}

}  // namespace

CliResult parse_command_line(int argc, const char* const* argv) {
  CliResult result;
  RunOptions& o = result.options;
  Bindings b;

  CLI::App app{"tpbench: LMDeploy's profile_throughput, as one MPI program", "profile_throughput"};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", std::string("profile_throughput (tpbench) ") + TPBENCH_VERSION);
  app.get_formatter()->column_width(36);
  add_lmdeploy_options(app, o, b);
  add_tpbench_options(app, o, b);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    result.exit_now = true;
    std::ostringstream out, err;
    result.exit_code = app.exit(e, out, err);
    if (is_first_rank()) std::cout << out.str() << std::flush;
    return result;
  } catch (const CLI::ParseError& e) {
    throw InputError(one_line(e.what()));
  }

  o.stream_output = !b.no_stream_output;
  if (b.sharegpt_output_len_option->count() > 0) o.sharegpt_output_len = b.sharegpt_output_len;
  o.percentiles = cli::parse_percentile_list(b.percentiles);
  cli::validate_options(o);
  return result;
}

}  // namespace tpbench
