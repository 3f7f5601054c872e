// Hand-computed metrics for the cases a random sample rarely hits.
#include <gtest/gtest.h>

#include <cmath>

#include "coordinator/report/metrics.hpp"

namespace tpbench::test {
namespace {

RequestRecord record(int64_t submit, int64_t first, int64_t finish, int32_t n, bool ok = true,
                     std::string error = "") {
  RequestRecord r;
  r.prompt_tokens = 10;
  r.output_tokens = n;
  r.submit_ns = submit;
  r.first_token_ns = first;
  r.finish_ns = finish;
  r.ok = ok;
  r.error = std::move(error);
  return r;
}

const std::vector<double> kPoints{50, 99};

TEST(MetricsEdges, NoRecordsAtAll) {
  const Metrics m = compute_metrics({}, 100, kPoints, true);
  EXPECT_EQ(m.total_requests, 100u);
  EXPECT_EQ(m.completed, 0u);
  EXPECT_EQ(m.failed, 0u);
  EXPECT_EQ(m.duration_s, 0);
  EXPECT_EQ(m.output_throughput, 0);
  EXPECT_EQ(m.request_throughput, 0);
  EXPECT_EQ(m.e2e.count, 0u);
  EXPECT_EQ(m.e2e.percentiles.size(), kPoints.size());
  EXPECT_EQ(m.itl.count, 0u);
}

TEST(MetricsEdges, AllFailedCountsReasonsAndKeepsDuration) {
  const std::vector<RequestRecord> records{record(0, 0, 2'000'000'000, 0, false, "oom"),
                                           record(0, 0, 1'000'000'000, 0, false, "oom"),
                                           record(0, 0, 500'000'000, 0, false, "")};
  const Metrics m = compute_metrics(records, 3, kPoints, true);
  EXPECT_EQ(m.completed, 0u);
  EXPECT_EQ(m.failed, 3u);
  ASSERT_EQ(m.failure_reasons.size(), 2u);
  EXPECT_EQ(m.failure_reasons[0].reason, "oom");
  EXPECT_EQ(m.failure_reasons[0].count, 2u);
  EXPECT_EQ(m.failure_reasons[1].reason, "unknown error");
  EXPECT_EQ(m.failure_reasons[1].count, 1u);
  EXPECT_DOUBLE_EQ(m.duration_s, 2.0);
  EXPECT_EQ(m.total_input_tokens, 0);
  EXPECT_EQ(m.request_throughput, 0);
  EXPECT_EQ(m.e2e.count, 0u);
  EXPECT_EQ(m.ttft.count, 0u);
}

TEST(MetricsEdges, OneTokenRequestsHaveNoTpot) {
  RequestRecord a = record(0, 1'000'000'000, 1'000'000'000, 1);
  a.token_ns = {1'000'000'000};
  const Metrics m = compute_metrics({a, a}, 2, kPoints, true);
  EXPECT_EQ(m.completed, 2u);
  EXPECT_EQ(m.tpot.count, 0u);
  EXPECT_EQ(m.itl.count, 0u);
  EXPECT_EQ(m.ttft.count, 2u);
  EXPECT_DOUBLE_EQ(m.ttft.mean, 1.0);
  EXPECT_DOUBLE_EQ(m.e2e.max, 1.0);
  EXPECT_DOUBLE_EQ(m.output_throughput, 2.0);
}

TEST(MetricsEdges, HandComputedSmallRun) {
  // request 0: submit 0, tokens at 1.0, 1.5, 3.0 s; request 1 failed; request 2: 2 tokens.
  RequestRecord a = record(0, 1'000'000'000, 3'000'000'000, 3);
  a.token_ns = {1'000'000'000, 1'500'000'000, 3'000'000'000};
  RequestRecord b = record(0, 0, 4'000'000'000, 0, false, "replica_lost");
  RequestRecord c = record(1'000'000'000, 1'250'000'000, 2'250'000'000, 2);
  c.token_ns = {1'250'000'000, 2'250'000'000};
  const Metrics m = compute_metrics({a, b, c}, 5, {0, 50, 100}, true);
  EXPECT_EQ(m.completed, 2u);
  EXPECT_EQ(m.failed, 1u);
  EXPECT_DOUBLE_EQ(m.duration_s, 4.0);  // the failed request's finish counts
  EXPECT_EQ(m.total_output_tokens, 5);
  EXPECT_DOUBLE_EQ(m.output_throughput, 1.25);
  EXPECT_DOUBLE_EQ(m.request_throughput, 0.5);
  EXPECT_DOUBLE_EQ(m.requests_per_minute, 30);
  EXPECT_DOUBLE_EQ(m.ttft.mean, (1.0 + 0.25) / 2);
  EXPECT_DOUBLE_EQ(m.e2e.mean, (3.0 + 1.25) / 2);
  EXPECT_DOUBLE_EQ(m.tpot.min, 1.0);  // c: 1.0 s over 1 gap
  EXPECT_DOUBLE_EQ(m.tpot.max, 1.0);  // a: 2.0 s over 2 gaps
  ASSERT_EQ(m.itl.count, 3u);         // 0.5, 1.5, 1.0
  EXPECT_DOUBLE_EQ(m.itl.percentiles[0], 0.5);
  EXPECT_DOUBLE_EQ(m.itl.percentiles[1], 1.0);
  EXPECT_DOUBLE_EQ(m.itl.percentiles[2], 1.5);
  EXPECT_DOUBLE_EQ(m.itl.std, std::sqrt((0.25 + 0.25 + 0.0) / 3));
}

// A server may end an answer early (or late): completed requests whose output differs from the
// asked length are counted; failed ones and records without an asked length are not; the
// throughput counts what was generated.
TEST(MetricsEdges, OutputsNotOfTheAskedLengthAreCounted) {
  std::vector<RequestRecord> records;
  for (int32_t n : {8, 5, 8, 9}) {
    RequestRecord r = record(0, 100, 1'000'000'000, n);
    r.requested_output_tokens = 8;
    records.push_back(r);
  }
  records.push_back(record(0, 100, 1'000'000'000, 3));  // no asked length: not counted
  RequestRecord failed = record(0, 0, 1'000'000'000, 2, false, "reset");
  failed.requested_output_tokens = 8;  // failed: not counted
  records.push_back(failed);
  const Metrics m = compute_metrics(records, 6, kPoints, true);
  EXPECT_EQ(m.output_length_mismatches, 2u);
  EXPECT_EQ(m.total_output_tokens, 8 + 5 + 8 + 9 + 3);
}

TEST(MetricsEdges, NoStreamingMeansNoTtftOrItl) {
  RequestRecord a = record(0, 1'000'000'000, 3'000'000'000, 3);
  a.token_ns = {1'000'000'000, 1'500'000'000, 3'000'000'000};
  const Metrics m = compute_metrics({a}, 1, kPoints, false);
  EXPECT_FALSE(m.have_ttft);
  EXPECT_FALSE(m.have_itl);
  EXPECT_EQ(m.ttft.count, 0u);
  EXPECT_EQ(m.itl.count, 0u);
  EXPECT_EQ(m.tpot.count, 1u);
  EXPECT_EQ(m.e2e.count, 1u);
}

TEST(PercentileLinear, MatchesNumpyByHand) {
  EXPECT_DOUBLE_EQ(percentile_linear({1, 2, 3, 4}, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile_linear({4, 3, 2, 1}, 0), 1);
  EXPECT_DOUBLE_EQ(percentile_linear({4, 3, 2, 1}, 100), 4);
  EXPECT_DOUBLE_EQ(percentile_linear({10}, 99.9), 10);
  EXPECT_DOUBLE_EQ(percentile_linear({0, 10}, 75), 7.5);
  EXPECT_TRUE(std::isnan(percentile_linear({}, 50)));
}

}  // namespace
}  // namespace tpbench::test
