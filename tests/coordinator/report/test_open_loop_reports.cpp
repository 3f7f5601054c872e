// The open-loop rows, goodput and validity in the console, --csv, --json and --requests-out,
// for the known set of tests/coordinator/report/open_loop_records.hpp.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "coordinator/report/csv_report.hpp"
#include "coordinator/report/table_format.hpp"
#include "tests/coordinator/report/open_loop_records.hpp"
#include "tests/coordinator/report/report_fixture.hpp"

namespace tpbench::test {
namespace {

// The known set asked at 100 req/s with --goodput ttft:27 tpot:10 and --percentiles 50,99.
RunInfo open_loop_info(double max_lag_p99_ms = 10, double max_rate_shortfall_pct = 5) {
  RunInfo info = fixture_info();
  info.options.percentiles = {50, 99};
  info.options.request_rate = 100;
  info.options.goodput = {27.0, 10.0, {}};
  info.options.max_lag_p99_ms = max_lag_p99_ms;
  info.options.max_rate_shortfall_pct = max_rate_shortfall_pct;
  return info;
}

Metrics metrics_of(const RunInfo& info) {
  return compute_metrics(known_open_loop_records(), 4, metrics_options_for(info.options));
}

std::string console(const RunInfo& info, const Metrics& m) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  print_console_report(out, info, m, {});
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

bool has_line(const std::string& text, const std::string& wanted) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line == wanted) return true;
  }
  return false;
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

const std::vector<std::string> kOpenLoopRowNames = {"Request rate asked (req/s)",
                                                    "Arrival rate achieved (req/s)",
                                                    "Lag P99 (ms)",
                                                    "Load validity",
                                                    "End-to-end Latency from scheduled",
                                                    "TTFT from scheduled",
                                                    "Queue time (wait for a slot)",
                                                    "Lag (taken in late)"};

TEST(OpenLoopConsole, RowsOfAnOpenLoopRunWithGoodput) {
  const RunInfo info = open_loop_info();
  const std::string text = console(info, metrics_of(info));
  for (const std::string& name : kOpenLoopRowNames)
    EXPECT_TRUE(has_line_starting(text, name)) << name << "\n" << text;
  using table::row;
  const std::vector<std::string> golden = {
      row("Request rate asked (req/s)", {"100.000"}),
      row("Arrival rate achieved (req/s)", {"95.238"}),
      row("Lag P99 (ms)", {"3.970"}),
      row("Load validity", {"VALID"}),
      row("Goodput SLO (ms)", {"ttft:27", "tpot:10"}),
      row("Good requests", {"2"}),
      row("Good requests (%)", {"50.000"}),
      row("Goodput (req/s)", {"22.222"}),
      row("Good output throughput (tok/s)", {"44.444"}),
      // From scheduled: E2E 27, 31, 70 ms; TTFT 11, 27, 30 ms.
      row("End-to-end Latency from scheduled", {"0.043", "0.031", "0.069"}),
      row("TTFT from scheduled", {"0.023", "0.027", "0.030"}),
  };
  for (const std::string& g : golden) EXPECT_TRUE(has_line(text, g)) << g << "\n" << text;
  EXPECT_EQ(text.find("INVALID"), std::string::npos) << text;
}

TEST(OpenLoopConsole, ClosedLoopShowsNoneOfThem) {
  const std::string text = console(fixture_info(), fixture_metrics());
  for (const std::string& name : kOpenLoopRowNames)
    EXPECT_FALSE(has_line_starting(text, name)) << name << "\n" << text;
  EXPECT_FALSE(has_line_starting(text, "Goodput")) << text;
  EXPECT_EQ(text.find("INVALID"), std::string::npos) << text;
}

TEST(OpenLoopConsole, GoodputRowsInAClosedLoopToo) {
  RunInfo info = fixture_info();
  info.options.goodput.e2el_ms = 700;  // E2E 700, 400, 800 ms: requests 0 and 1
  const std::string text =
      console(info, compute_metrics(fixture_records(), 5, metrics_options_for(info.options)));
  EXPECT_TRUE(has_line(text, table::row("Goodput SLO (ms)", {"e2el:700"}))) << text;
  EXPECT_TRUE(has_line(text, table::row("Good requests", {"2"}))) << text;
  EXPECT_TRUE(has_line(text, table::row("Goodput (req/s)", {"1.000"}))) << text;
  EXPECT_FALSE(has_line_starting(text, "Lag")) << text;
}

TEST(OpenLoopConsole, InvalidRunHasABannerWithEveryReason) {
  const RunInfo info = open_loop_info(3.9, 4);
  const std::string text = console(info, metrics_of(info));
  EXPECT_TRUE(has_line(text, "INVALID RUN: lag P99 3.970 ms exceeds --max-lag-p99-ms 3.9")) << text;
  EXPECT_TRUE(has_line(text,
                       "INVALID RUN: achieved arrival rate 95.238 req/s is 4.8% below the "
                       "asked 100 req/s (--max-rate-shortfall-pct 4)"))
      << text;
  EXPECT_TRUE(has_line(text, table::row("Load validity", {"INVALID"}))) << text;
  // The banner comes right under the title.
  EXPECT_LT(text.find("INVALID RUN"), text.find("Benchmark duration"));
}

TEST(OpenLoopCsv, NewColumnsAtTheEndWithTheirValues) {
  const std::vector<std::string>& columns = csv_columns();
  ASSERT_EQ(columns.size(), 47u);
  EXPECT_EQ(columns[29], "startup_s");  // the columns before stay where they were
  EXPECT_EQ(columns[30], "mean_ttft_from_scheduled_ms");
  EXPECT_EQ(columns.back(), "invalid_reasons");

  const std::string path = scratch_path("open-loop.csv");
  std::remove(path.c_str());
  const RunInfo valid = open_loop_info();
  append_csv(path, valid, metrics_of(valid));
  const RunInfo invalid = open_loop_info(3.9, 4);
  append_csv(path, invalid, metrics_of(invalid));
  append_csv(path, fixture_info(), fixture_metrics());  // closed loop, no --goodput
  const auto flat = read_back("csv", path);
  ASSERT_FALSE(flat.empty()) << "python3 could not parse " << path;
  EXPECT_EQ(flat.at("rows"), "4");
  const std::vector<std::pair<std::string, std::string>> row1 = {
      {"mean_ttft_from_scheduled_ms", "22.667"},
      {"p99_ttft_from_scheduled_ms", "29.940"},
      {"mean_e2e_from_scheduled_ms", "42.667"},
      {"p99_e2e_from_scheduled_ms", "69.220"},
      {"mean_queue_ms", "6.250"},
      {"p99_queue_ms", "19.550"},
      {"mean_lag_ms", "2.500"},
      {"p99_lag_ms", "3.970"},
      {"max_lag_ms", "4.000"},
      {"request_rate", "100.000"},
      {"achieved_rate", "95.238"},
      {"goodput_slo", "ttft:27 tpot:10"},
      {"goodput", "22.222"},
      {"goodput_output_throughput", "44.444"},
      {"good_percent", "50.000"},
      {"valid", "true"},
      {"invalid_reasons", ""}};
  for (const auto& [column, value] : row1) EXPECT_EQ(flat.at("1." + column), value) << column;
  EXPECT_EQ(flat.at("2.valid"), "false");
  EXPECT_EQ(flat.at("2.invalid_reasons"),
            "lag P99 3.970 ms exceeds --max-lag-p99-ms 3.9; achieved arrival rate 95.238 req/s "
            "is 4.8% below the asked 100 req/s (--max-rate-shortfall-pct 4)");
  // Closed loop: submit times 0, 0, 700, 400 ms; no rate asked, no goodput, no lag.
  EXPECT_EQ(flat.at("3.request_rate"), "-");
  EXPECT_EQ(flat.at("3.achieved_rate"), "5.714");
  EXPECT_EQ(flat.at("3.goodput_slo"), "");
  EXPECT_EQ(flat.at("3.goodput"), "-");
  EXPECT_EQ(flat.at("3.good_percent"), "-");
  EXPECT_EQ(flat.at("3.max_lag_ms"), "0.000");
  EXPECT_EQ(flat.at("3.mean_e2e_from_scheduled_ms"), flat.at("3.mean_e2e_latency_ms"));
  EXPECT_EQ(flat.at("3.p99_ttft_from_scheduled_ms"), flat.at("3.p99_ttft_ms"));
  EXPECT_EQ(flat.at("3.valid"), "true");
  std::remove(path.c_str());
}

TEST(OpenLoopJson, ValidityGoodputAndDistributions) {
  const std::string path = scratch_path("open-loop.json");
  const RunInfo info = open_loop_info(3.9, 5);
  write_json(path, info, metrics_of(info), {});
  auto flat = read_back("json", path);
  ASSERT_FALSE(flat.empty());
  EXPECT_EQ(flat.at("valid"), "false");
  EXPECT_EQ(flat.at("invalid_reasons"), "[\"lag P99 3.970 ms exceeds --max-lag-p99-ms 3.9\"]");
  EXPECT_EQ(flat.at("config.goodput.ttft"), "27.0");
  EXPECT_EQ(flat.at("config.goodput.tpot"), "10.0");
  EXPECT_EQ(flat.count("config.goodput.e2el"), 0u);
  EXPECT_EQ(flat.at("config.max_lag_p99_ms"), "3.9");
  EXPECT_EQ(flat.at("config.max_rate_shortfall_pct"), "5.0");
  EXPECT_EQ(flat.at("metrics.open_loop"), "true");
  EXPECT_EQ(flat.at("metrics.queue.count"), "4");
  EXPECT_NEAR(std::stod(flat.at("metrics.lag.p99")), 3.97e-3, 1e-12);
  EXPECT_NEAR(std::stod(flat.at("metrics.ttft_from_scheduled.p50")), 0.027, 1e-12);
  EXPECT_NEAR(std::stod(flat.at("metrics.e2e_from_scheduled.max")), 0.070, 1e-12);
  EXPECT_EQ(flat.at("metrics.arrivals.taken_in"), "4");
  EXPECT_EQ(flat.at("metrics.arrivals.asked_rate"), "100.0");
  EXPECT_NEAR(std::stod(flat.at("metrics.arrivals.achieved_rate")), 4 / 0.042, 1e-9);
  EXPECT_NEAR(std::stod(flat.at("metrics.arrivals.lag_p99_s")), 3.97e-3, 1e-12);
  EXPECT_EQ(flat.at("metrics.goodput.slo_ms.ttft"), "27.0");
  EXPECT_EQ(flat.at("metrics.goodput.slo_ms.tpot"), "10.0");
  EXPECT_EQ(flat.at("metrics.goodput.good_requests"), "2");
  EXPECT_EQ(flat.at("metrics.goodput.good_percent"), "50.0");
  EXPECT_NEAR(std::stod(flat.at("metrics.goodput.request_goodput")), 2 / 0.09, 1e-9);

  write_json(path, fixture_info(false), fixture_metrics(false), {});
  flat = read_back("json", path);
  EXPECT_EQ(flat.at("valid"), "true");
  EXPECT_EQ(flat.at("invalid_reasons"), "[]");
  EXPECT_EQ(flat.at("config.goodput"), "null");
  EXPECT_EQ(flat.at("metrics.open_loop"), "false");
  EXPECT_EQ(flat.at("metrics.goodput"), "null");
  EXPECT_EQ(flat.at("metrics.ttft_from_scheduled"), "null");  // no streaming
  EXPECT_EQ(flat.at("metrics.arrivals.asked_rate"), "null");
  EXPECT_EQ(flat.at("metrics.lag.max"), "0.0");
  EXPECT_EQ(flat.at("metrics.e2e_from_scheduled.p99"), flat.at("metrics.e2e.p99"));
  std::remove(path.c_str());
}

TEST(OpenLoopJsonl, EveryRecordHasItsScheduledAndQueueTimes) {
  const std::string path = scratch_path("open-loop.jsonl");
  write_requests_jsonl(path, known_open_loop_records(), false);
  const auto flat = read_back("jsonl", path);
  ASSERT_FALSE(flat.empty());
  EXPECT_EQ(flat.at("1.scheduled_ns"), "10000000");
  EXPECT_EQ(flat.at("1.queue_ns"), "5000000");
  EXPECT_EQ(flat.at("1.submit_ns"), "17000000");
  EXPECT_EQ(flat.at("3.scheduled_ns"), "30000000");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tpbench::test
