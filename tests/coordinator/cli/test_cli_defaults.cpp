// Defaults are LMDeploy's; every flag lands in its RunOptions field.
#include <gtest/gtest.h>

#include "tests/coordinator/cli/cli_test_util.hpp"

namespace tpbench::test {
namespace {

TEST(CliDefaults, MatchLmdeployAndRunOptions) {
  const CliResult r = parse_with_files({});
  const RunOptions& o = r.options;
  EXPECT_FALSE(r.exit_now);
  EXPECT_EQ(o.dataset_path, kDataset);
  EXPECT_EQ(o.engine.model_dir, kModel);
  EXPECT_EQ(o.concurrency, 256);
  EXPECT_EQ(o.num_prompts, 5000);
  EXPECT_EQ(o.seed, 0);
  EXPECT_EQ(o.tp, 1);
  EXPECT_EQ(o.engine.backend, Backend::kAuto);
  EXPECT_EQ(o.top_k, 1);
  EXPECT_DOUBLE_EQ(o.top_p, 0.8);
  EXPECT_DOUBLE_EQ(o.temperature, 0.8);
  EXPECT_DOUBLE_EQ(o.engine.cache_max_entry_count, 0.8);
  EXPECT_EQ(o.engine.cache_block_seq_len, 64);
  EXPECT_EQ(o.engine.dtype, DtypeChoice::kAuto);
  EXPECT_TRUE(o.stream_output);
  EXPECT_EQ(o.csv_path, "./profile_throughput.csv");
  EXPECT_EQ(o.dataset_name, DatasetName::kShareGpt);
  EXPECT_FALSE(o.sharegpt_output_len.has_value());
  EXPECT_EQ(o.random_input_len, 1024);
  EXPECT_EQ(o.random_output_len, 1024);
  EXPECT_DOUBLE_EQ(o.random_range_ratio, 0.0);
  EXPECT_FALSE(o.skip_tokenize);
  EXPECT_EQ(o.json_path, "");
  EXPECT_EQ(o.requests_out_path, "");
  EXPECT_FALSE(o.record_tokens);
  EXPECT_EQ(o.percentiles, (std::vector<double>{50, 75, 95, 99}));
  EXPECT_EQ(o.dispatch, Dispatch::kStatic);
  EXPECT_FALSE(o.engine.dummy_weights);
  EXPECT_EQ(o.engine.max_batch_size, 0);
  EXPECT_EQ(o.engine.max_prefill_tokens, 8192);
  EXPECT_EQ(o.engine.kv_cache_bytes, 0);
  EXPECT_TRUE(o.engine.cuda_graphs);
  EXPECT_DOUBLE_EQ(o.heartbeat_timeout_s, 30);
  EXPECT_DOUBLE_EQ(o.startup_timeout_s, 600);
  EXPECT_DOUBLE_EQ(o.timeout_s, 0);
  EXPECT_DOUBLE_EQ(o.startup_timeout_s, 600);
  EXPECT_FALSE(o.dry_run);
  EXPECT_FALSE(o.coordinator_only_rank);
  EXPECT_EQ(o.coordinator_addr, "");
  EXPECT_DOUBLE_EQ(o.engine.sim_step_ms, -1);
  EXPECT_DOUBLE_EQ(o.engine.sim_base_ms, 5.0);
  EXPECT_DOUBLE_EQ(o.engine.sim_per_token_us, 20.0);
}

TEST(CliParse, EveryFlagSetsItsField) {
  const CliResult r = parse_with_files({"-c",
                                        "64",
                                        "-n",
                                        "1000",
                                        "--seed",
                                        "-7",
                                        "--tp",
                                        "2",
                                        "--backend",
                                        "sim",
                                        "--top-k",
                                        "0",
                                        "--top-p",
                                        "1",
                                        "--temperature",
                                        "0",
                                        "--cache-max-entry-count",
                                        "0.5",
                                        "--cache-block-seq-len",
                                        "128",
                                        "--dtype",
                                        "bfloat16",
                                        "--no-stream-output",
                                        "--csv",
                                        "",
                                        "--dataset-name",
                                        "sharegpt",
                                        "--sharegpt-output-len",
                                        "256",
                                        "--random-input-len",
                                        "100",
                                        "--random-output-len",
                                        "200",
                                        "--random-range-ratio",
                                        "0.5",
                                        "--skip-tokenize",
                                        "--json",
                                        "out.json",
                                        "--requests-out",
                                        "req.jsonl",
                                        "--record-tokens",
                                        "--percentiles",
                                        "0, 99.9,100",
                                        "--dispatch",
                                        "dynamic",
                                        "--dummy-weights",
                                        "--max-batch-size",
                                        "32",
                                        "--max-prefill-tokens",
                                        "4096",
                                        "--kv-cache-bytes",
                                        "1073741824",
                                        "--no-cuda-graphs",
                                        "--heartbeat-timeout",
                                        "5.5",
                                        "--timeout",
                                        "60",
                                        "--startup-timeout",
                                        "45",
                                        "--dry-run",
                                        "--coordinator-only-rank",
                                        "--coordinator-addr",
                                        "10.0.0.1",
                                        "--sim-step-ms",
                                        "2.5",
                                        "--sim-base-ms",
                                        "1",
                                        "--sim-per-token-us",
                                        "3"});
  const RunOptions& o = r.options;
  EXPECT_EQ(o.concurrency, 64);
  EXPECT_EQ(o.num_prompts, 1000);
  EXPECT_EQ(o.seed, -7);
  EXPECT_EQ(o.tp, 2);
  EXPECT_EQ(o.engine.backend, Backend::kSim);
  EXPECT_EQ(o.top_k, 0);
  EXPECT_DOUBLE_EQ(o.top_p, 1.0);
  EXPECT_DOUBLE_EQ(o.temperature, 0.0);
  EXPECT_DOUBLE_EQ(o.engine.cache_max_entry_count, 0.5);
  EXPECT_EQ(o.engine.cache_block_seq_len, 128);
  EXPECT_EQ(o.engine.dtype, DtypeChoice::kBFloat16);
  EXPECT_FALSE(o.stream_output);
  EXPECT_EQ(o.csv_path, "");
  ASSERT_TRUE(o.sharegpt_output_len.has_value());
  EXPECT_EQ(*o.sharegpt_output_len, 256);
  EXPECT_EQ(o.random_input_len, 100);
  EXPECT_EQ(o.random_output_len, 200);
  EXPECT_DOUBLE_EQ(o.random_range_ratio, 0.5);
  EXPECT_TRUE(o.skip_tokenize);
  EXPECT_EQ(o.json_path, "out.json");
  EXPECT_EQ(o.requests_out_path, "req.jsonl");
  EXPECT_TRUE(o.record_tokens);
  EXPECT_EQ(o.percentiles, (std::vector<double>{0, 99.9, 100}));
  EXPECT_EQ(o.dispatch, Dispatch::kDynamic);
  EXPECT_TRUE(o.engine.dummy_weights);
  EXPECT_EQ(o.engine.max_batch_size, 32);
  EXPECT_EQ(o.engine.max_prefill_tokens, 4096);
  EXPECT_EQ(o.engine.kv_cache_bytes, 1073741824);
  EXPECT_FALSE(o.engine.cuda_graphs);
  EXPECT_DOUBLE_EQ(o.heartbeat_timeout_s, 5.5);
  EXPECT_DOUBLE_EQ(o.timeout_s, 60);
  EXPECT_DOUBLE_EQ(o.startup_timeout_s, 45);
  EXPECT_TRUE(o.dry_run);
  EXPECT_TRUE(o.coordinator_only_rank);
  EXPECT_EQ(o.coordinator_addr, "10.0.0.1");
  EXPECT_DOUBLE_EQ(o.engine.sim_step_ms, 2.5);
  EXPECT_DOUBLE_EQ(o.engine.sim_base_ms, 1);
  EXPECT_DOUBLE_EQ(o.engine.sim_per_token_us, 3);
}

TEST(CliParse, LongFormsAndEqualsSyntax) {
  const RunOptions o =
      parse_with_files({"--concurrency=8", "--num-prompts=9", "--tp=4", "--backend=cpu"}).options;
  EXPECT_EQ(o.concurrency, 8);
  EXPECT_EQ(o.num_prompts, 9);
  EXPECT_EQ(o.tp, 4);
  EXPECT_EQ(o.engine.backend, Backend::kCpu);
}

TEST(CliParse, OptionsMayComeBeforePositionals) {
  const RunOptions o = parse({"-c", "3", kDataset, "--tp", "2", kModel}).options;
  EXPECT_EQ(o.concurrency, 3);
  EXPECT_EQ(o.tp, 2);
  EXPECT_EQ(o.dataset_path, kDataset);
  EXPECT_EQ(o.engine.model_dir, kModel);
}

TEST(CliParse, HelpPrintsEveryFlagAndExitsZero) {
  testing::internal::CaptureStdout();
  const CliResult r = parse({"--help"});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(r.exit_now);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--concurrency",
                           "--num-prompts",
                           "--seed",
                           "--tp",
                           "--backend",
                           "--top-k",
                           "--top-p",
                           "--temperature",
                           "--cache-max-entry-count",
                           "--cache-block-seq-len",
                           "--dtype",
                           "--no-stream-output",
                           "--csv",
                           "--dataset-name",
                           "--sharegpt-output-len",
                           "--random-input-len",
                           "--random-output-len",
                           "--random-range-ratio",
                           "--skip-tokenize",
                           "--json",
                           "--requests-out",
                           "--record-tokens",
                           "--percentiles",
                           "--goodput",
                           "--max-lag-p99-ms",
                           "--max-rate-shortfall-pct",
                           "--dispatch",
                           "--dummy-weights",
                           "--max-batch-size",
                           "--max-prefill-tokens",
                           "--kv-cache-bytes",
                           "--cuda-graphs",
                           "--no-cuda-graphs",
                           "--heartbeat-timeout",
                           "--startup-timeout",
                           "--timeout",
                           "--dry-run",
                           "--coordinator-only-rank",
                           "--coordinator-addr",
                           "--sim-step-ms",
                           "--sim-base-ms",
                           "--sim-per-token-us",
                           "--version",
                           "--help"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
}

TEST(CliParse, VersionPrintsAndExitsZero) {
  testing::internal::CaptureStdout();
  const CliResult r = parse({"--version"});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(r.exit_now);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(out.find("tpbench"), std::string::npos) << out;
}

TEST(CliParse, RandomModeTakesTheShareGptFile) {
  const RunOptions o =
      parse_with_files({"--dataset-name", "random", "--random-input-len", "32"}).options;
  EXPECT_EQ(o.dataset_name, DatasetName::kRandom);
  EXPECT_EQ(o.random_input_len, 32);
}

TEST(CliParse, TokenIdsWithSimOrDryRunNeedNoModel) {
  EXPECT_NO_THROW(
      parse({kDataset, "/nonexistent/model", "--dataset-name", "token-ids", "--backend", "sim"}));
  EXPECT_NO_THROW(
      parse({kDataset, "/nonexistent/model", "--dataset-name", "token-ids", "--dry-run"}));
}

TEST(CliPercentiles, ParsesCommaListWithSpaces) {
  EXPECT_EQ(parse_with_files({"--percentiles", "50"}).options.percentiles,
            (std::vector<double>{50}));
  EXPECT_EQ(parse_with_files({"--percentiles", " 0 ,100 "}).options.percentiles,
            (std::vector<double>{0, 100}));
}

// A point given twice would print the same column twice; the columns go in ascending order.
TEST(CliPercentiles, DuplicatesGoAndPointsAreSorted) {
  EXPECT_EQ(parse_with_files({"--percentiles", "99,50,99,75,50.0"}).options.percentiles,
            (std::vector<double>{50, 75, 99}));
}

TEST(CliPercentiles, EmptyValueSaysWhatIsExpected) {
  try {
    parse_with_files({"--percentiles="});
    ADD_FAILURE() << "--percentiles= accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("comma list like 50,75,95,99"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace tpbench::test
