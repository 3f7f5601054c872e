// The console table against a golden layout for a known run.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "tests/coordinator/report/report_fixture.hpp"

namespace tpbench::test {
namespace {

std::string console(const RunInfo& info, const Metrics& m, const std::vector<ReplicaSummary>& r) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  print_console_report(out, info, m, r);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& wanted) {
  for (const auto& l : lines) {
    if (l == wanted) return true;
  }
  return false;
}

bool has_line_starting(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& l : lines) {
    if (l.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(ConsoleReport, GoldenLayoutForKnownRun) {
  const std::string text = console(fixture_info(), fixture_metrics(), fixture_replicas());
  const std::vector<std::string> lines = lines_of(text);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "");
  EXPECT_EQ(lines[1], std::string(35, '=') + " Profile Throughput " + std::string(35, '='));
  EXPECT_EQ(lines[1].size(), 90u);
  for (const auto& l : lines) EXPECT_LE(l.size(), 90u) << "'" << l << "'";

  const std::vector<std::string> golden = {
      "Benchmark duration                           2.000",
      "Total requests                                   5",
      "Successful requests                              3",
      "Concurrency                                      4",
      "Stream output                                 true",
      "Backend                                        sim",
      "Tensor parallel (TP)                             2",
      "Replicas (DP)                                    2",
      "World size (ranks)                               4",
      "Dispatch                                    static",
      "Start-up (load, KV, warm-up)                12.250",
      "Total input tokens                             303",
      "Total generated tokens                           9",
      "Input throughput (tok/s)                   151.500",
      "Output throughput (tok/s)                    4.500",
      "Total throughput (tok/s)                   156.000",
      "Request throughput (req/s)                   1.500",
      "Requests per minute (RPM)                   90.000",
      "First token latency min/max/avg (s)          0.100     0.200     0.167",
      "Failed requests                                  1",
      "  1 x replica 1 lost, \"heartbeat\" timeout",
      std::string(90, '-'),
      "                                              mean       P50       P75       P95       P99",
      "End-to-end Latency                           0.633     0.700     0.750     0.790     0.798",
      "Time to First Token (TTFT)                   0.167     0.200     0.200     0.200     0.200",
      "Time per Output Token (TPOT)                 0.233     0.200     0.250     0.290     0.298",
      "Inter-token Latency (ITL)                    0.233     0.200     0.275     0.300     0.300",
      std::string(90, '='),
      std::string(40, '-') + " Replicas " + std::string(40, '-'),
      "replica ranks       host                          requests out tok/s    busy % preemptions",
      "0       0-1         node-a                               2     3.500      75.0           0",
      "1       2-3         node-b                               1     1.000      12.5           3",
  };
  for (const std::string& g : golden)
    EXPECT_TRUE(has_line(lines, g)) << "missing: '" << g << "'\n" << text;
  EXPECT_EQ(lines.back(), std::string(90, '='));
  EXPECT_EQ(text.find("INCOMPLETE"), std::string::npos);
}

TEST(ConsoleReport, NoStreamingDropsTtftAndItlRows) {
  RunInfo info = fixture_info(false);
  const std::string text = console(info, fixture_metrics(false), {});
  const std::vector<std::string> lines = lines_of(text);
  EXPECT_TRUE(has_line(lines, "Stream output                                false"));
  EXPECT_TRUE(has_line_starting(lines, "End-to-end Latency"));
  EXPECT_TRUE(has_line_starting(lines, "Time per Output Token (TPOT)"));
  EXPECT_FALSE(has_line_starting(lines, "Time to First Token"));
  EXPECT_FALSE(has_line_starting(lines, "Inter-token Latency"));
  EXPECT_FALSE(has_line_starting(lines, "First token latency"));
  EXPECT_EQ(text.find("- Replicas -"), std::string::npos);
}

TEST(ConsoleReport, IncompleteRunHasBanner) {
  RunInfo info = fixture_info();
  info.complete = false;
  info.incomplete_reason = "--timeout 60 s reached";
  const std::string text = console(info, fixture_metrics(), fixture_replicas());
  EXPECT_NE(text.find("INCOMPLETE RUN: --timeout 60 s reached"), std::string::npos) << text;
}

TEST(ConsoleReport, EmptyRunPrintsDashes) {
  const Metrics m = compute_metrics({}, 10, {50, 75, 95, 99}, true);
  const std::vector<std::string> lines = lines_of(console(fixture_info(), m, {}));
  EXPECT_TRUE(has_line(lines,
                       "End-to-end Latency                               -         -         -     "
                       "    -         -"));
  EXPECT_TRUE(has_line(lines, "Successful requests                              0"));
}

TEST(ConsoleReport, WidthFollowsPercentileCount) {
  const Metrics m = compute_metrics(fixture_records(), 5, {50, 90, 99, 99.9, 100}, true);
  const std::vector<std::string> lines = lines_of(console(fixture_info(), m, {}));
  EXPECT_EQ(lines[1].size(), 100u);
  EXPECT_TRUE(has_line(lines,
                       "                                              mean       P50       P90     "
                       "  P99     P99.9      P100"));
}

// 30 requests over the context, each with its own numbers: one line with the count and the
// whole reason, wrapped inside the table's 90 columns, not 30 cut-off lines.
TEST(ConsoleReport, FailuresGroupedByReasonWithCountsAndWholeReason) {
  std::vector<RequestRecord> records = fixture_records();
  for (int i = 0; i < 30; ++i) {
    RequestRecord r;
    r.id = 10 + i;
    r.ok = false;
    r.error = "request " + std::to_string(r.id) + ": prompt " + std::to_string(4000 + i) +
              " + max_new_tokens 128 = " + std::to_string(4128 + i) +
              " tokens exceeds the model's max context 4096";
    records.push_back(r);
  }
  const std::string text =
      console(fixture_info(false), compute_metrics(records, 35, {50}, false), {});
  const std::vector<std::string> lines = lines_of(text);
  for (const auto& l : lines) EXPECT_LE(l.size(), 60u) << "'" << l << "'";  // 40 + 2 cells
  EXPECT_TRUE(has_line(lines, "Failed requests                                 31")) << text;
  EXPECT_TRUE(has_line(lines, "  30 x prompt 4000..4029 + max_new_tokens 128 = 4128..4157"))
      << text;
  EXPECT_TRUE(has_line(lines, "       tokens exceeds the model's max context 4096")) << text;
  EXPECT_TRUE(has_line(lines, "  1 x replica 1 lost, \"heartbeat\" timeout")) << text;
  EXPECT_EQ(text.find("request 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("..."), std::string::npos) << text;
}

}  // namespace
}  // namespace tpbench::test
