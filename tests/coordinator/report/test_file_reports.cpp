// --csv, --json and --requests-out, read back with python3's csv and json modules.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/coordinator/report/report_fixture.hpp"

namespace tpbench::test {
namespace {

const std::vector<std::string> kCsvColumns = {"backend",
                                              "bs",
                                              "dataset_name",
                                              "sharegpt_output_len",
                                              "random_input_len",
                                              "random_output_len",
                                              "random_range_ratio",
                                              "num_prompts",
                                              "completed",
                                              "total_input_tokens",
                                              "total_output_tokens",
                                              "duration",
                                              "request_throughput",
                                              "input_throughput",
                                              "output_throughput",
                                              "mean_e2e_latency_ms",
                                              "mean_ttft_ms",
                                              "mean_tpot_ms",
                                              "mean_itl_ms",
                                              "tp",
                                              "dp",
                                              "world",
                                              "rpm",
                                              "p99_e2e_ms",
                                              "p99_ttft_ms",
                                              "p99_tpot_ms",
                                              "p99_itl_ms",
                                              "failed",
                                              "complete",
                                              "startup_s",
                                              "mean_ttft_from_scheduled_ms",
                                              "p99_ttft_from_scheduled_ms",
                                              "mean_e2e_from_scheduled_ms",
                                              "p99_e2e_from_scheduled_ms",
                                              "mean_queue_ms",
                                              "p99_queue_ms",
                                              "mean_lag_ms",
                                              "p99_lag_ms",
                                              "max_lag_ms",
                                              "request_rate",
                                              "achieved_rate",
                                              "goodput_slo",
                                              "goodput",
                                              "goodput_output_throughput",
                                              "good_percent",
                                              "valid",
                                              "invalid_reasons"};

TEST(CsvReport, HeaderOnceAndRowsParseBack) {
  const std::string path = scratch_path("run.csv");
  std::remove(path.c_str());
  RunInfo streaming = fixture_info(true);
  append_csv(path, streaming, fixture_metrics(true));
  RunInfo plain = fixture_info(false);
  plain.complete = false;
  plain.options.sharegpt_output_len = 128;
  append_csv(path, plain, fixture_metrics(false));

  const auto flat = read_back("csv", path);
  ASSERT_FALSE(flat.empty()) << "python3 could not parse " << path;
  EXPECT_EQ(flat.at("rows"), "3");  // one header, two rows
  for (size_t i = 0; i < kCsvColumns.size(); ++i) {
    EXPECT_EQ(flat.at("0." + std::to_string(i)), kCsvColumns[i]);
  }
  EXPECT_EQ(flat.count("0." + std::to_string(kCsvColumns.size())), 0u);

  EXPECT_EQ(flat.at("1.backend"), "sim");
  EXPECT_EQ(flat.at("1.bs"), "4");
  EXPECT_EQ(flat.at("1.dataset_name"), "sharegpt");
  EXPECT_EQ(flat.at("1.sharegpt_output_len"), "");
  EXPECT_EQ(flat.at("1.random_input_len"), "1024");
  EXPECT_EQ(flat.at("1.num_prompts"), "5");
  EXPECT_EQ(flat.at("1.completed"), "3");
  EXPECT_EQ(flat.at("1.total_input_tokens"), "303");
  EXPECT_EQ(flat.at("1.total_output_tokens"), "9");
  EXPECT_EQ(flat.at("1.duration"), "2.000");
  EXPECT_EQ(flat.at("1.request_throughput"), "1.500");
  EXPECT_EQ(flat.at("1.input_throughput"), "151.500");
  EXPECT_EQ(flat.at("1.output_throughput"), "4.500");
  EXPECT_EQ(flat.at("1.mean_e2e_latency_ms"), "633.333");
  EXPECT_EQ(flat.at("1.mean_ttft_ms"), "166.667");
  EXPECT_EQ(flat.at("1.mean_tpot_ms"), "233.333");
  EXPECT_EQ(flat.at("1.mean_itl_ms"), "233.333");
  EXPECT_EQ(flat.at("1.tp"), "2");
  EXPECT_EQ(flat.at("1.dp"), "2");
  EXPECT_EQ(flat.at("1.world"), "4");
  EXPECT_EQ(flat.at("1.rpm"), "90.000");
  EXPECT_EQ(flat.at("1.p99_e2e_ms"), "798.000");
  EXPECT_EQ(flat.at("1.p99_ttft_ms"), "200.000");
  EXPECT_EQ(flat.at("1.p99_tpot_ms"), "298.000");
  EXPECT_EQ(flat.at("1.p99_itl_ms"), "300.000");
  EXPECT_EQ(flat.at("1.failed"), "1");
  EXPECT_EQ(flat.at("1.complete"), "true");
  EXPECT_EQ(flat.at("1.startup_s"), "12.250");
  EXPECT_EQ(flat.at("1.valid"), "true");
  EXPECT_EQ(flat.at("1.goodput"), "-");

  EXPECT_EQ(flat.at("2.sharegpt_output_len"), "128");
  EXPECT_EQ(flat.at("2.mean_ttft_ms"), "-");
  EXPECT_EQ(flat.at("2.mean_itl_ms"), "-");
  EXPECT_EQ(flat.at("2.p99_ttft_ms"), "-");
  EXPECT_EQ(flat.at("2.mean_tpot_ms"), "233.333");
  EXPECT_EQ(flat.at("2.complete"), "false");
  EXPECT_EQ(flat.at("2.mean_ttft_from_scheduled_ms"), "-");
  std::remove(path.c_str());
}

TEST(CsvReport, EmptyExistingFileGetsHeader) {
  const std::string path = scratch_path("empty.csv");
  { std::ofstream touch(path); }
  append_csv(path, fixture_info(), fixture_metrics());
  const auto flat = read_back("csv", path);
  ASSERT_FALSE(flat.empty());
  EXPECT_EQ(flat.at("rows"), "2");
  EXPECT_EQ(flat.at("0.0"), "backend");
  std::remove(path.c_str());
}

TEST(JsonReport, ParsesWithEveryPart) {
  const std::string path = scratch_path("run.json");
  RunInfo info = fixture_info();
  info.complete = false;
  info.incomplete_reason = "replica 1 lost";
  write_json(path, info, fixture_metrics(), fixture_replicas());
  const auto flat = read_back("json", path);
  ASSERT_FALSE(flat.empty()) << "python3 could not parse " << path;
  EXPECT_EQ(flat.at("complete"), "false");
  EXPECT_EQ(flat.at("incomplete_reason"), "\"replica 1 lost\"");
  EXPECT_EQ(flat.at("startup_s"), "12.25");
  EXPECT_EQ(flat.at("replicas.0.startup_s"), "11.5");
  EXPECT_EQ(flat.at("config.startup_timeout"), "600.0");
  EXPECT_EQ(flat.at("config.concurrency"), "4");
  EXPECT_EQ(flat.at("config.tp"), "2");
  EXPECT_EQ(flat.at("config.dataset"), "\"data/sharegpt.json\"");
  EXPECT_EQ(flat.at("config.percentiles"), "[50.0, 75.0, 95.0, 99.0]");
  EXPECT_EQ(flat.at("config.sharegpt_output_len"), "null");
  EXPECT_EQ(flat.at("config.sim_per_token_us"), "20.0");
  EXPECT_EQ(flat.at("environment.hosts"), "[\"node-a\", \"node-b\"]");
  EXPECT_EQ(flat.at("environment.world_size"), "4");
  EXPECT_EQ(flat.at("environment.dp"), "2");
  EXPECT_EQ(flat.at("environment.t0_skew_ns"), "1234");
  EXPECT_EQ(flat.at("environment.gpus.1.rank"), "1");
  EXPECT_EQ(flat.at("environment.gpus.1.name"), "\"NVIDIA H200\"");
  EXPECT_EQ(flat.at("environment.gpus.1.pci_bus_id"), "\"0000:3b:00.0\"");
  EXPECT_EQ(flat.at("environment.gpus.1.total_memory"), "150109978624");
  EXPECT_EQ(flat.at("environment.gpus.0.pci_bus_id"), "\"0000:19:00.0\"");
  EXPECT_EQ(flat.count("environment.gpus.2.rank"), 0u);
  EXPECT_EQ(flat.at("environment.versions.tpbench"), "\"0.1.0\"");
  EXPECT_EQ(flat.at("environment.started_at"), "\"2026-11-27T21:00:00Z\"");
  EXPECT_EQ(flat.at("metrics.completed"), "3");
  EXPECT_EQ(flat.at("metrics.failed"), "1");
  EXPECT_EQ(flat.at("metrics.failure_reasons.0.reason"),
            "\"replica 1 lost, \\\"heartbeat\\\" timeout\"");
  EXPECT_EQ(flat.at("metrics.failure_reasons.0.count"), "1");
  EXPECT_EQ(flat.at("metrics.duration_s"), "2.0");
  EXPECT_EQ(flat.at("metrics.requests_per_minute"), "90.0");
  EXPECT_EQ(flat.at("metrics.e2e.count"), "3");
  EXPECT_NEAR(std::stod(flat.at("metrics.e2e.p99")), 0.798, 1e-12);
  EXPECT_NEAR(std::stod(flat.at("metrics.itl.p75")), 0.275, 1e-12);
  EXPECT_NEAR(std::stod(flat.at("metrics.ttft.min")), 0.1, 1e-12);
  EXPECT_EQ(flat.count("metrics.tpot.p50"), 1u);
  EXPECT_EQ(flat.at("replicas.1.preemptions"), "3");
  EXPECT_EQ(flat.at("replicas.0.steps"), "40");
  EXPECT_EQ(flat.at("replicas.0.ranks"), "[0, 1]");
  EXPECT_EQ(flat.at("replicas.0.host"), "\"node-a\"");
  std::remove(path.c_str());
}

TEST(JsonReport, OverwritesAtomicallyWithoutLeftovers) {
  const std::string path = scratch_path("twice.json");
  write_json(path, fixture_info(), fixture_metrics(), {});
  write_json(path, fixture_info(false), fixture_metrics(false), {});
  const auto flat = read_back("json", path);
  ASSERT_FALSE(flat.empty());
  EXPECT_EQ(flat.at("config.stream_output"), "false");
  EXPECT_EQ(flat.at("metrics.ttft"), "null");
  EXPECT_EQ(flat.at("complete"), "true");
  EXPECT_EQ(flat.at("incomplete_reason"), "null");
  std::ifstream leftover(path + ".tmp-" + std::to_string(::getpid()));
  EXPECT_FALSE(leftover.good());
  std::remove(path.c_str());
}

TEST(RequestsJsonl, OneLinePerRecordTokensOnlyWhenAsked) {
  const std::string path = scratch_path("requests.jsonl");
  const std::vector<RequestRecord> records = fixture_records();
  write_requests_jsonl(path, records, false);
  auto flat = read_back("jsonl", path);
  ASSERT_FALSE(flat.empty());
  EXPECT_EQ(flat.at("lines"), std::to_string(records.size()));
  EXPECT_EQ(flat.at("0.id"), "0");
  EXPECT_EQ(flat.at("0.prompt_tokens"), "100");
  EXPECT_EQ(flat.at("0.output_tokens"), "4");
  EXPECT_EQ(flat.at("0.token_ns"), "[100000000, 300000000, 500000000, 700000000]");
  EXPECT_EQ(flat.at("2.submit_ns"), "700000000");
  EXPECT_EQ(flat.at("3.ok"), "false");
  EXPECT_EQ(flat.at("3.error"), "\"replica 1 lost, \\\"heartbeat\\\" timeout\"");
  EXPECT_EQ(flat.count("0.token_ids"), 0u);

  write_requests_jsonl(path, records, true);
  flat = read_back("jsonl", path);
  EXPECT_EQ(flat.at("lines"), std::to_string(records.size()));
  EXPECT_EQ(flat.at("0.token_ids"), "[1000, 1001, 1002, 1003]");
  EXPECT_EQ(flat.at("3.token_ids"), "[]");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tpbench::test
