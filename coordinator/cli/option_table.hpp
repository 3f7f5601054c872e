#pragma once
// The one description of every command-line option: its flag names, the RunOptions field it
// sets, its accepted range, its help text and its key in the JSON report's "config". The CLI11
// binding (cli.cpp) and the JSON writer (report/options_json.cpp) both walk this table, so a new
// option is a field in RunOptions or EngineOptions, a line here and a row in docs/CLI.md.
//
// A visitor provides
//   positional(info, field)                    required positional argument
//   option(info, field, bounds)                takes one value: a number (checked against
//                                              bounds; reals must be finite), a string, an
//                                              enum with a name table (common/enum_names.hpp)
//                                              or std::optional of a number
//   flag(info, bool_field)                     no value; a name written "!--no-x" clears it
//   percentile_list(info, vector_field)        a comma list of percentiles in [0, 100]
//   goodput_slo(info, slo_field)               KEY:MS words (ttft, tpot, e2el), vLLM's --goodput
//   string_list(info, vector_field)            strings: repeatable, each value also a comma list
#include <limits>
#include <string_view>
#include <type_traits>

#include "common/run_options.hpp"

namespace tpbench::cli {

struct OptionInfo {
  std::string_view flags;     // CLI11 names: "-c,--concurrency", "DATASET", "!--no-stream-output"
  std::string_view json_key;  // key in the JSON report's config
  std::string_view help;
};

// Accepted values of a number: lo <= v (lo < v when lo_open) and v <= hi. A real must be
// finite unless plus_infinity allows "inf".
struct Bounds {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool plus_infinity = false;
};

constexpr Bounds any_value() {
  return {};
}
constexpr Bounds at_least(double lo) {
  return {lo, std::numeric_limits<double>::infinity(), false};
}
constexpr Bounds above(double lo) {
  return {lo, std::numeric_limits<double>::infinity(), true};
}
constexpr Bounds above_or_inf(double lo) {
  return {lo, std::numeric_limits<double>::infinity(), true, true};
}
constexpr Bounds closed(double lo, double hi) {
  return {lo, hi, false};
}
constexpr Bounds open_closed(double lo, double hi) {
  return {lo, hi, true};
}

template <class Options, class Visitor>
void visit_options(Options& o, Visitor& v) {
  static_assert(std::is_same_v<std::remove_const_t<Options>, RunOptions>);
  auto& e = o.engine;
  // LMDeploy profile_throughput.py's names and defaults.
  v.positional({"DATASET", "dataset",
                "Dataset file: ShareGPT JSON (sharegpt; random takes its prompt text from it), "
                "or JSON lines of {\"input_ids\", \"output_len\"} (token-ids)"},
               o.dataset_path);
  v.positional({"MODEL", "model",
                "Model directory (HF config.json, weights, tokenizer files), or a hub id "
                "(org/name) found in the local Hugging Face cache"},
               o.model);
  v.option({"-c,--concurrency", "concurrency",
            "Requests in flight over the whole cluster (closed loop)"},
           o.concurrency, at_least(1));
  v.option({"-n,--num-prompts", "num_prompts", "Number of prompts to sample and run"},
           o.num_prompts, at_least(1));
  v.option({"--seed", "seed", "Seed of the dataset shuffle (CPython random.seed)"}, o.seed,
           any_value());
  v.option({"--tp", "tp", "Tensor-parallel ranks per engine replica"}, o.tp, at_least(1));
  v.option({"--backend", "backend", "auto: cuda when every rank sees a GPU, else cpu"}, e.backend,
           any_value());
  v.option({"--top-k", "top_k", "Sampling top-k (1 = greedy; 0 = whole vocabulary)"}, o.top_k,
           at_least(0));
  v.option({"--top-p", "top_p", "Sampling top-p"}, o.top_p, open_closed(0, 1));
  v.option({"--temperature", "temperature", "Sampling temperature (also -temp)"}, o.temperature,
           closed(0, 2));
  v.option({"--cache-max-entry-count", "cache_max_entry_count",
            "Fraction of free GPU memory given to the KV cache"},
           e.cache_max_entry_count, open_closed(0, 1));
  v.option({"--cache-block-seq-len", "cache_block_seq_len", "Tokens per KV-cache block"},
           e.cache_block_seq_len, at_least(1));
  v.option({"--dtype", "dtype", "Weight and activation type (auto: the checkpoint's)"}, e.dtype,
           any_value());
  v.flag(
      {"!--no-stream-output", "stream_output", "Do not stream tokens: no TTFT / ITL in the report"},
      o.stream_output);
  v.option({"--csv", "csv", "Append the result row to this CSV file (--csv= : none)"}, o.csv_path,
           any_value());
  v.option({"--dataset-name", "dataset_name", "Workload mode"}, o.dataset_name, any_value());
  v.option({"--sharegpt-output-len", "sharegpt_output_len",
            "Output length of every ShareGPT request instead of the dataset's completion length"},
           o.sharegpt_output_len, at_least(1));
  v.option({"--random-input-len", "random_input_len", "Prompt length of random requests"},
           o.random_input_len, at_least(1));
  v.option({"--random-output-len", "random_output_len", "Output length of random requests"},
           o.random_output_len, at_least(1));
  v.option({"--random-range-ratio", "random_range_ratio",
            "Random lengths are drawn from [len * ratio, len]"},
           o.random_range_ratio, closed(0, 1));
  v.flag({"--skip-tokenize", "skip_tokenize",
          "Accepted for LMDeploy compatibility: tpbench always sends token ids"},
         o.skip_tokenize);

  // tpbench's own.
  v.option({"--json", "json", "Write every setting, metric and replica to this JSON file"},
           o.json_path, any_value());
  v.option({"--requests-out", "requests_out",
            "Write one JSON line per request (its timings) to this file"},
           o.requests_out_path, any_value());
  v.flag({"--record-tokens", "record_tokens",
          "Also write each request's generated token ids to --requests-out"},
         o.record_tokens);
  v.percentile_list({"--percentiles", "percentiles", "Latency percentiles, comma list in [0, 100]"},
                    o.percentiles);
  v.goodput_slo({"--goodput", "goodput",
                 "Report goodput: a request is good when it meets every SLO given, any of "
                 "ttft:MS tpot:MS e2el:MS (TTFT and E2E from the scheduled time)"},
                o.goodput);
  v.option({"--max-lag-p99-ms", "max_lag_p99_ms",
            "The run is INVALID when the P99 of its lag (how late requests were taken in after "
            "their scheduled time and queue wait) exceeds this"},
           o.max_lag_p99_ms, at_least(0));
  v.option({"--max-rate-shortfall-pct", "max_rate_shortfall_pct",
            "An open-loop run is INVALID when its achieved arrival rate falls more than this "
            "percentage below the asked --request-rate"},
           o.max_rate_shortfall_pct, closed(0, 100));
  v.option({"--dispatch", "dispatch",
            "static: shard requests over replicas up front; dynamic: hand out on demand"},
           o.dispatch, any_value());
  v.flag({"--dummy-weights", "dummy_weights",
          "Random weights from config.json alone (no checkpoint needed)"},
         e.dummy_weights);
  v.option({"--max-batch-size", "max_batch_size",
            "Sequences per engine step per replica (0 = the replica's concurrency share)"},
           e.max_batch_size, at_least(0));
  v.option({"--max-prefill-tokens", "max_prefill_tokens", "Prompt tokens per engine step"},
           e.max_prefill_tokens, at_least(1));
  v.option({"--kv-cache-bytes", "kv_cache_bytes",
            "KV-cache bytes per rank; overrides --cache-max-entry-count (0 = unset)"},
           e.kv_cache_bytes, at_least(0));
  v.flag({"--cuda-graphs,!--no-cuda-graphs", "cuda_graphs",
          "cuda backend: replay decode steps from CUDA graphs (default on)"},
         e.cuda_graphs);
  v.option({"--heartbeat-timeout", "heartbeat_timeout",
            "Seconds a rank may go without a heartbeat, or a leader stay in one engine step, "
            "before the run ends as incomplete"},
           o.heartbeat_timeout_s, above(0));
  v.option({"--startup-timeout", "startup_timeout",
            "Seconds the engines may take to load, allocate and warm up before t0; a rank still "
            "starting then ends the run, named (0 = no limit)"},
           o.startup_timeout_s, at_least(0));
  v.option({"--timeout", "timeout",
            "End the run this many seconds after t0 (start-up not counted; 0 = no limit)"},
           o.timeout_s, at_least(0));
  v.flag({"--dry-run", "dry_run", "Sample and tokenize, print the workload, exit"}, o.dry_run);
  v.flag({"--coordinator-only-rank", "coordinator_only_rank",
          "Rank 0 only coordinates; engines run on ranks 1..W-1"},
         o.coordinator_only_rank);
  v.option({"--coordinator-addr", "coordinator_addr",
            "IP, interface or host name the coordinator binds (default: loopback on one host, "
            "else all interfaces)"},
           o.coordinator_addr, any_value());
  v.option({"--revision", "revision",
            "Hub id MODEL: the branch, tag or commit of the cached snapshot (default main)"},
           o.revision, any_value());
  // --backend openai: a client of an OpenAI-compatible server.
  auto& ai = e.openai;
  v.string_list({"--base-url", "base_url",
                 "openai: server URL, e.g. http://host:8000 (repeatable or a comma list; "
                 "replica r uses the (r mod count)-th)"},
                ai.base_urls);
  v.option({"--endpoint", "endpoint", "openai: the API path requests go to"}, ai.endpoint,
           any_value());
  v.option({"--served-model-name", "served_model_name",
            "openai: the model name sent (default: the only one GET /v1/models lists)"},
           ai.served_model_name, any_value());
  v.option({"--prompt-format", "prompt_format",
            "openai: send the prompt as text or as token ids (ids: /v1/completions only)"},
           ai.prompt_format, any_value());
  v.option({"--extra-body", "extra_body",
            "openai: a JSON object merged into every request body (null removes a field)"},
           ai.extra_body, any_value());
  v.string_list({"--omit-field", "omit_field",
                 "openai: leave this body field out (repeatable; a.b reaches inside a.)"},
                ai.omit_fields);
  v.option({"--request-timeout", "request_timeout",
            "openai: seconds one request may take, connect to last byte (0 = no limit)"},
           ai.request_timeout_s, at_least(0));
  v.flag({"--use-proxy", "use_proxy",
          "openai: honour http_proxy / https_proxy / no_proxy (default: connect directly)"},
         ai.use_proxy);
  v.flag({"--insecure", "insecure", "openai: https without checking the server's certificate"},
         ai.insecure);
  v.option({"--warmup", "warmup", "openai: requests each client sends before t0, not measured"},
           ai.warmup, at_least(0));
  v.option({"--sim-step-ms", "sim_step_ms",
            "sim backend: fixed step time in ms (< 0: base + per-token model)"},
           e.sim_step_ms, any_value());
  v.option({"--sim-base-ms", "sim_base_ms", "sim backend: step time base in ms"}, e.sim_base_ms,
           at_least(0));
  v.option({"--sim-per-token-us", "sim_per_token_us",
            "sim backend: step time per token in the step, in us"},
           e.sim_per_token_us, at_least(0));
  v.option({"--sim-profile", "sim_profile",
            "sim backend: fit the step time to these --step-profile-out files (comma list) "
            "instead of the --sim-* linear model"},
           e.sim_profile, any_value());
  v.option({"--step-profile-out", "step_profile_out",
            "Each leader writes one CSV row per engine step (tokens, seqs, prefill tokens, "
            "context tokens, forward ns); PATH.replicaN with several replicas"},
           e.step_profile_out, any_value());

  // Open-loop load (docs/ARCHITECTURE.md, "Load shapes"); vLLM's names.
  v.option({"--request-rate", "request_rate",
            "Requests/s over the whole cluster, gamma-distributed gaps (inf: closed loop at -c)"},
           o.request_rate, above_or_inf(0));
  v.option({"--burstiness", "burstiness",
            "Gamma shape of the gaps under --request-rate or a ramp: 1 Poisson, < 1 burstier, "
            "inf constant"},
           o.burstiness, above_or_inf(0));
  v.option({"--ramp-up-strategy", "ramp_up_strategy",
            "Rate moves from --ramp-up-start-rps to --ramp-up-end-rps over the -n requests"},
           o.ramp_up_strategy, any_value());
  v.option({"--ramp-up-start-rps", "ramp_up_start_rps", "Rate of the first request of a ramp"},
           o.ramp_up_start_rps, above(0));
  v.option({"--ramp-up-end-rps", "ramp_up_end_rps", "Rate of the last request of a ramp"},
           o.ramp_up_end_rps, above(0));
  v.option({"--trace", "trace",
            "Azure LLM inference trace CSV: arrival times and prompt / output lengths (prompt "
            "text from DATASET as in random mode); -n defaults to every row"},
           o.trace_path, any_value());
  v.option({"--trace-time-scale", "trace_time_scale",
            "Multiply the trace's time offsets (0.5 replays twice as fast)"},
           o.trace_time_scale, above(0));
  v.option({"--duration", "duration",
            "Arrivals until this many seconds after t0 instead of -n of them; requests cycle "
            "through the -n sampled ones"},
           o.duration_s, above(0));
  v.option({"--max-concurrency", "max_concurrency",
            "Open loop: requests in flight over the whole cluster; an arrival that finds none "
            "free waits (0 = unset)"},
           o.max_concurrency, at_least(1));
}

}  // namespace tpbench::cli
