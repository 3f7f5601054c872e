// Every engine flag reaches the EngineOptions the worker builds, and the JSON report's config
// is written from the same option table as the command line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "coordinator/cli/option_table.hpp"
#include "coordinator/report/options_json.hpp"
#include "tests/coordinator/cli/cli_test_util.hpp"
#include "worker/rank_worker.hpp"

namespace tpbench::test {
namespace {

TEST(OptionsReachEngine, EveryFieldAsTheWorkerBuildsIt) {
  const RunOptions o = parse_with_files({"--backend",
                                         "sim",
                                         "--dtype",
                                         "float16",
                                         "--dummy-weights",
                                         "--max-batch-size",
                                         "7",
                                         "--max-prefill-tokens",
                                         "99",
                                         "--cache-block-seq-len",
                                         "32",
                                         "--cache-max-entry-count",
                                         "0.25",
                                         "--kv-cache-bytes",
                                         "12345",
                                         "--no-cuda-graphs",
                                         "--sim-step-ms",
                                         "2",
                                         "--sim-base-ms",
                                         "3",
                                         "--sim-per-token-us",
                                         "4",
                                         "--sim-profile",
                                         "a.csv,b.csv",
                                         "--step-profile-out",
                                         "steps.csv",
                                         "--seed",
                                         "11",
                                         "--top-k",
                                         "1"})
                           .options;
  const EngineOptions e = engine_options_for(o, Backend::kCuda, /*replica_slots=*/5,
                                             /*local_rank=*/3, /*local_size=*/4);
  // Names every field: adding one to EngineOptions stops this from compiling until the test
  // sets it on the command line above (or the worker sets it) and checks it below.
  const auto& [backend, model_dir, dtype, dummy_weights, max_batch_size, max_prefill_tokens,
               cache_block_seq_len, cache_max_entry_count, kv_cache_bytes, cuda_graphs, sim_step_ms,
               sim_base_ms, sim_per_token_us, sim_profile, step_profile_out, openai, seed, replica,
               local_rank, local_size, node_all_gather, greedy_only] = e;
  const EngineOptions d;
  EXPECT_EQ(backend, Backend::kCuda);  // the resolved one, not the flag's
  EXPECT_EQ(model_dir, kModel);
  EXPECT_EQ(dtype, DtypeChoice::kFloat16);
  EXPECT_TRUE(dummy_weights);
  EXPECT_EQ(max_batch_size, 7);
  EXPECT_EQ(max_prefill_tokens, 99);
  EXPECT_EQ(cache_block_seq_len, 32);
  EXPECT_DOUBLE_EQ(cache_max_entry_count, 0.25);
  EXPECT_EQ(kv_cache_bytes, 12345);
  EXPECT_FALSE(cuda_graphs);
  EXPECT_DOUBLE_EQ(sim_step_ms, 2);
  EXPECT_DOUBLE_EQ(sim_base_ms, 3);
  EXPECT_DOUBLE_EQ(sim_per_token_us, 4);
  EXPECT_EQ(sim_profile, "a.csv,b.csv");
  EXPECT_EQ(step_profile_out, "steps.csv");
  EXPECT_EQ(seed, 11u);
  EXPECT_EQ(local_rank, 3);
  EXPECT_EQ(local_size, 4);
  EXPECT_TRUE(greedy_only);  // --top-k 1
  // The worker sets the node gather from its node communicator, and the replica, after
  // engine_options_for. The openai client's flags: OpenAiFlags below.
  EXPECT_FALSE(node_all_gather);
  EXPECT_EQ(replica, 0);
  EXPECT_TRUE(openai.base_urls.empty());
  // Each value above differs from the default, so a field the worker dropped would show.
  EXPECT_NE(backend, d.backend);
  EXPECT_NE(model_dir, d.model_dir);
  EXPECT_NE(dtype, d.dtype);
  EXPECT_NE(dummy_weights, d.dummy_weights);
  EXPECT_NE(max_batch_size, d.max_batch_size);
  EXPECT_NE(max_prefill_tokens, d.max_prefill_tokens);
  EXPECT_NE(cache_block_seq_len, d.cache_block_seq_len);
  EXPECT_NE(cache_max_entry_count, d.cache_max_entry_count);
  EXPECT_NE(kv_cache_bytes, d.kv_cache_bytes);
  EXPECT_NE(cuda_graphs, d.cuda_graphs);
  EXPECT_NE(sim_step_ms, d.sim_step_ms);
  EXPECT_NE(sim_base_ms, d.sim_base_ms);
  EXPECT_NE(sim_per_token_us, d.sim_per_token_us);
  EXPECT_NE(sim_profile, d.sim_profile);
  EXPECT_NE(step_profile_out, d.step_profile_out);
  EXPECT_NE(seed, d.seed);
  EXPECT_NE(local_rank, d.local_rank);
  EXPECT_NE(local_size, d.local_size);
  EXPECT_NE(greedy_only, d.greedy_only);
}

TEST(OptionsReachEngine, ZeroBatchSizeIsTheReplicasSlotsAndSamplingIsNotGreedy) {
  const RunOptions o = parse_with_files({"--top-k", "40"}).options;
  const EngineOptions e = engine_options_for(o, Backend::kCpu, /*replica_slots=*/24, 0, 1);
  EXPECT_EQ(e.max_batch_size, 24);
  EXPECT_FALSE(e.greedy_only);
  EXPECT_EQ(engine_options_for(o, Backend::kCpu, /*replica_slots=*/0, 0, 1).max_batch_size, 1);
}

TEST(OptionsReachEngine, OpenAiFlags) {
  const RunOptions o = parse({"--backend",
                              "openai",
                              "--base-url",
                              "http://a:1",
                              kDataset,
                              "--base-url",
                              "http://b:2,http://c:3",
                              kModel,
                              "--endpoint",
                              "/v1/chat/completions",
                              "--served-model-name",
                              "m",
                              "--prompt-format",
                              "text",
                              "--extra-body",
                              "{\"min_tokens\": null}",
                              "--omit-field",
                              "top_k",
                              "--omit-field",
                              "stream_options.include_usage,ignore_eos",
                              "--request-timeout",
                              "2.5",
                              "--use-proxy",
                              "--insecure",
                              "--warmup",
                              "3"})
                           .options;
  EXPECT_EQ(o.dataset_path, kDataset);  // a repeatable flag does not swallow the positionals
  EXPECT_EQ(o.model, kModel);
  const EngineOptions e = engine_options_for(o, Backend::kOpenAi, 4, 0, 1);
  const auto& [base_urls, endpoint, served_model_name, prompt_format, extra_body, omit_fields,
               request_timeout_s, use_proxy, insecure, warmup] = e.openai;
  EXPECT_EQ(base_urls, (std::vector<std::string>{"http://a:1", "http://b:2", "http://c:3"}));
  EXPECT_EQ(endpoint, OpenAiEndpoint::kChatCompletions);
  EXPECT_EQ(served_model_name, "m");
  EXPECT_EQ(prompt_format, PromptFormat::kText);
  EXPECT_EQ(extra_body, "{\"min_tokens\": null}");
  EXPECT_EQ(omit_fields,
            (std::vector<std::string>{"top_k", "stream_options.include_usage", "ignore_eos"}));
  EXPECT_DOUBLE_EQ(request_timeout_s, 2.5);
  EXPECT_TRUE(use_proxy);
  EXPECT_TRUE(insecure);
  EXPECT_EQ(warmup, 3);
  const nlohmann::ordered_json j = options_to_json(o);
  EXPECT_EQ(j["base_url"], nlohmann::json({"http://a:1", "http://b:2", "http://c:3"}));
  EXPECT_EQ(j["endpoint"], "/v1/chat/completions");
  EXPECT_EQ(j["omit_field"].size(), 3u);
}

TEST(OptionsReachEngine, OpenAiFlagErrorsNameTheFlag) {
  EXPECT_EQ(input_error_with_files({"--base-url", "http://a:1"}),
            "--base-url: only with --backend openai");
  EXPECT_EQ(
      input_error_with_files({"--backend", "openai"}).rfind("--backend openai needs --base-url", 0),
      0u);
  EXPECT_EQ(input_error_with_files({"--backend", "openai", "--base-url", "a:1"}),
            "--base-url 'a:1': expected an http:// or https:// URL");
  EXPECT_EQ(
      input_error_with_files({"--backend", "openai", "--base-url", "http://a:1", "--tp", "2"}),
      "--tp 2: --backend openai runs one client per engine rank (tp 1)");
  EXPECT_EQ(input_error_with_files({"--backend", "openai", "--base-url", "http://a:1",
                                    "--prompt-format", "ids", "--endpoint", "/v1/chat/completions"})
                .rfind("--prompt-format ids: only with --endpoint /v1/completions", 0),
            0u);
  EXPECT_EQ(input_error_with_files(
                {"--backend", "openai", "--base-url", "http://a:1", "--extra-body", "[1]"}),
            "--extra-body: must be a JSON object ({...})");
  EXPECT_NE(input_error_with_files({"--endpoint", "/v2/x"}).find("--endpoint"), std::string::npos);
}

// Collects the JSON keys of the option table.
struct KeyCollector {
  std::vector<std::string> keys;
  void positional(const cli::OptionInfo& info, const std::string&) { add(info); }
  template <class T>
  void option(const cli::OptionInfo& info, const T&, cli::Bounds) {
    add(info);
  }
  void flag(const cli::OptionInfo& info, bool) { add(info); }
  void percentile_list(const cli::OptionInfo& info, const std::vector<double>&) { add(info); }
  void goodput_slo(const cli::OptionInfo& info, const GoodputSlo&) { add(info); }
  void string_list(const cli::OptionInfo& info, const std::vector<std::string>&) { add(info); }
  void add(const cli::OptionInfo& info) { keys.emplace_back(info.json_key); }
};

TEST(OptionsJson, ConfigHasEveryTableKeyInTableOrder) {
  const RunOptions defaults;
  KeyCollector collector;
  cli::visit_options(defaults, collector);
  const nlohmann::ordered_json j = options_to_json(defaults);
  std::vector<std::string> written;
  for (const auto& item : j.items()) written.push_back(item.key());
  // Then the one key no flag sets: the folder MODEL resolved to.
  collector.keys.push_back("model_dir");
  EXPECT_EQ(written, collector.keys);
  EXPECT_EQ(std::set<std::string>(written.begin(), written.end()).size(), written.size());
  // Keys that scripts/compare and tests/scripts read.
  for (const char* key :
       {"backend", "concurrency", "num_prompts", "dataset", "model", "dataset_name", "seed",
        "stream_output", "dtype", "dispatch", "max_batch_size", "sim_step_ms", "tp"})
    EXPECT_TRUE(j.contains(key)) << key;
}

TEST(OptionsJson, ValuesAreWrittenAsTheCommandLineSpellsThem) {
  const nlohmann::ordered_json d = options_to_json(parse_with_files({}).options);
  EXPECT_EQ(d["backend"], "auto");
  EXPECT_EQ(d["dtype"], "auto");
  EXPECT_EQ(d["dataset_name"], "sharegpt");
  EXPECT_EQ(d["dispatch"], "static");
  EXPECT_TRUE(d["sharegpt_output_len"].is_null());
  EXPECT_EQ(d["percentiles"], nlohmann::json::array({50, 75, 95, 99}));
  EXPECT_EQ(d["stream_output"], true);
  EXPECT_EQ(d["startup_timeout"], 600.0);
  EXPECT_EQ(d["model"], kModel);
  EXPECT_EQ(d["model_dir"], kModel);  // a local path resolves to itself

  const nlohmann::ordered_json j = options_to_json(parse_with_files({"--backend",
                                                                     "sim",
                                                                     "--dtype",
                                                                     "bfloat16",
                                                                     "--dataset-name",
                                                                     "random",
                                                                     "--dispatch",
                                                                     "dynamic",
                                                                     "--sharegpt-output-len",
                                                                     "9",
                                                                     "--no-stream-output",
                                                                     "--max-batch-size",
                                                                     "3",
                                                                     "--sim-step-ms",
                                                                     "1.5",
                                                                     "--heartbeat-timeout",
                                                                     "7",
                                                                     "--timeout",
                                                                     "8",
                                                                     "--percentiles",
                                                                     "1,2"})
                                                       .options);
  EXPECT_EQ(j["backend"], "sim");
  EXPECT_EQ(j["dtype"], "bfloat16");
  EXPECT_EQ(j["dataset_name"], "random");
  EXPECT_EQ(j["dispatch"], "dynamic");
  EXPECT_EQ(j["sharegpt_output_len"], 9);
  EXPECT_EQ(j["stream_output"], false);
  EXPECT_EQ(j["max_batch_size"], 3);
  EXPECT_EQ(j["sim_step_ms"], 1.5);
  EXPECT_EQ(j["heartbeat_timeout"], 7.0);
  EXPECT_EQ(j["timeout"], 8.0);
  EXPECT_EQ(j["percentiles"], nlohmann::json::array({1, 2}));
}

TEST(OptionsJson, LoadKeysWithInfinityAsTheCommandLineSpellsIt) {
  const nlohmann::ordered_json d = options_to_json(parse_with_files({}).options);
  EXPECT_EQ(d["request_rate"], "inf");  // JSON has no infinity
  EXPECT_EQ(d["burstiness"], 1.0);
  EXPECT_EQ(d["ramp_up_strategy"], "none");
  EXPECT_TRUE(d["ramp_up_start_rps"].is_null());
  EXPECT_TRUE(d["duration"].is_null());
  EXPECT_EQ(d["trace"], "");
  EXPECT_EQ(d["max_concurrency"], 0);
  const nlohmann::ordered_json j =
      options_to_json(parse_with_files({"--ramp-up-strategy", "linear", "--ramp-up-start-rps",
                                        "1.5", "--ramp-up-end-rps", "9", "--burstiness", "inf"})
                          .options);
  EXPECT_EQ(j["ramp_up_strategy"], "linear");
  EXPECT_EQ(j["ramp_up_start_rps"], 1.5);
  EXPECT_EQ(j["ramp_up_end_rps"], 9.0);
  EXPECT_EQ(j["burstiness"], "inf");
  EXPECT_EQ(
      options_to_json(
          parse_with_files({"--request-rate", "12", "--duration", "3"}).options)["request_rate"],
      12.0);
}

}  // namespace
}  // namespace tpbench::test
