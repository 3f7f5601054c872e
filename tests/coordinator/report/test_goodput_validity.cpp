// Goodput, validity and the open-loop distributions: hand-computed on a known set, then numpy
// recomputing them from the --requests-out JSONL and comparing with the --json report.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "coordinator/report/metrics.hpp"
#include "tests/coordinator/report/numpy_reference.hpp"
#include "tests/coordinator/report/open_loop_records.hpp"
#include "tests/coordinator/report/report_fixture.hpp"

namespace tpbench::test {
namespace {

MetricsOptions open_loop(std::optional<double> asked_rate = std::nullopt, GoodputSlo slo = {},
                         ValidityLimits limits = {}) {
  MetricsOptions o;
  o.percentile_points = {50, 99};
  o.open_loop = true;
  o.asked_rate = asked_rate;
  o.goodput = slo;
  o.limits = limits;
  return o;
}

Metrics known(const MetricsOptions& options) {
  return compute_metrics(known_open_loop_records(), 4, options);
}

size_t good_with(GoodputSlo slo) {
  const Metrics m = known(open_loop(std::nullopt, slo));
  EXPECT_TRUE(m.goodput.has_value());
  return m.goodput ? m.goodput->good : 0;
}

TEST(OpenLoopMetrics, QueueLagAndTimesFromScheduledOnAKnownSet) {
  const Metrics m = known(open_loop());
  EXPECT_TRUE(m.open_loop);
  EXPECT_EQ(m.queue.count, 4u);  // failed requests were taken in too
  EXPECT_NEAR(m.queue.mean, 6.25e-3, 1e-15);
  EXPECT_NEAR(m.queue.max, 20e-3, 1e-15);
  EXPECT_EQ(m.lag.count, 4u);
  EXPECT_NEAR(m.lag.mean, 2.5e-3, 1e-15);
  EXPECT_NEAR(m.lag.min, 1e-3, 1e-15);
  EXPECT_NEAR(m.lag.max, 4e-3, 1e-15);
  EXPECT_NEAR(m.lag.percentiles[1], 3.97e-3, 1e-15);
  EXPECT_NEAR(m.arrivals.lag_p99_s, 3.97e-3, 1e-15);
  // From submit (vLLM) and from the scheduled time (LoadGen), completed requests only.
  EXPECT_EQ(m.ttft.count, 3u);
  EXPECT_NEAR(m.ttft.mean, (10 + 20 + 7) / 3.0 * 1e-3, 1e-15);
  EXPECT_NEAR(m.ttft_sched.mean, (11 + 27 + 30) / 3.0 * 1e-3, 1e-15);
  EXPECT_NEAR(m.e2e.max, 47e-3, 1e-15);
  EXPECT_NEAR(m.e2e_sched.max, 70e-3, 1e-15);
  EXPECT_NEAR(m.e2e_sched.min, 27e-3, 1e-15);
  EXPECT_EQ(m.arrivals.taken_in, 4u);
  EXPECT_NEAR(m.arrivals.first_submit_s, 1e-3, 1e-15);
  EXPECT_NEAR(m.arrivals.last_submit_s, 43e-3, 1e-15);
  ASSERT_TRUE(m.arrivals.achieved_rate.has_value());
  EXPECT_NEAR(*m.arrivals.achieved_rate, 4 / 42e-3, 1e-9);
  EXPECT_FALSE(m.goodput.has_value());
  EXPECT_TRUE(m.validity.valid);
}

TEST(OpenLoopMetrics, ClosedLoopTimesFromScheduledEqualThoseFromSubmit) {
  const Metrics m = compute_metrics(random_records(5, 300), 300, {50, 99}, true);
  EXPECT_FALSE(m.open_loop);
  EXPECT_EQ(m.e2e_sched.count, m.e2e.count);
  EXPECT_EQ(m.e2e_sched.mean, m.e2e.mean);
  EXPECT_EQ(m.e2e_sched.percentiles, m.e2e.percentiles);
  EXPECT_EQ(m.ttft_sched.percentiles, m.ttft.percentiles);
  EXPECT_EQ(m.lag.max, 0.0);
  EXPECT_EQ(m.queue.max, 0.0);
  EXPECT_FALSE(m.arrivals.asked_rate.has_value());
  EXPECT_TRUE(m.validity.valid);
}

TEST(Goodput, EachSloInclusiveTtftAndE2eFromTheScheduledTime) {
  // TTFT from scheduled 11, 27, 30: 27 is good at ttft:27 (inclusive), not at 26.999.
  EXPECT_EQ(good_with({27.0, {}, {}}), 2u);
  EXPECT_EQ(good_with({26.999, {}, {}}), 1u);
  // Request 0's TTFT is 10 from submit but 11 from its scheduled time: not good at 10.5.
  EXPECT_EQ(good_with({10.5, {}, {}}), 0u);
  // TPOT 10, one token (0), 40.
  EXPECT_EQ(good_with({{}, 10.0, {}}), 2u);
  EXPECT_EQ(good_with({{}, 9.999, {}}), 1u);
  EXPECT_EQ(good_with({{}, 0.0, {}}), 1u);
  EXPECT_EQ(good_with({{}, 40.0, {}}), 3u);
  // E2E from scheduled 31, 27, 70 (from submit 30, 20, 47).
  EXPECT_EQ(good_with({{}, {}, 31.0}), 2u);
  EXPECT_EQ(good_with({{}, {}, 47.0}), 2u);
  EXPECT_EQ(good_with({{}, {}, 70.0}), 3u);
  // Every SLO given must hold; the failed request never counts.
  EXPECT_EQ(good_with({30.0, 10.0, {}}), 2u);
  EXPECT_EQ(good_with({30.0, {}, 100.0}), 3u);
  EXPECT_EQ(good_with({30.0, 40.0, 69.0}), 2u);
  EXPECT_EQ(good_with({1e9, 1e9, 1e9}), 3u);
}

TEST(Goodput, RatesAndShareOverTheRunsDuration) {
  const Metrics m = known(open_loop(std::nullopt, {27.0, {}, {}}));
  ASSERT_TRUE(m.goodput.has_value());
  const Goodput& g = *m.goodput;
  EXPECT_EQ(g.good, 2u);                   // requests 0 and 1
  EXPECT_DOUBLE_EQ(g.good_percent, 50.0);  // of the 4 that ended, the failed one included
  EXPECT_NEAR(m.duration_s, 0.09, 1e-15);
  EXPECT_NEAR(g.request_goodput, 2 / 0.09, 1e-9);
  EXPECT_NEAR(g.output_goodput, (3 + 1) / 0.09, 1e-9);  // their generated tokens
  EXPECT_EQ(g.slo.ttft_ms, 27.0);
  EXPECT_FALSE(g.slo.tpot_ms.has_value());
}

TEST(Goodput, NoRecordsAndRequestsWithoutTokens) {
  const Metrics empty = compute_metrics({}, 10, open_loop(std::nullopt, {100.0, {}, {}}));
  ASSERT_TRUE(empty.goodput.has_value());
  EXPECT_EQ(empty.goodput->good, 0u);
  EXPECT_EQ(empty.goodput->good_percent, 0.0);
  EXPECT_EQ(empty.goodput->request_goodput, 0.0);
  // A completed request without a token meets a TPOT or E2E SLO but never a TTFT one.
  RequestRecord none = open_loop_record(0, 0, 0, 0, {5});
  none.output_tokens = 0;
  none.token_ns.clear();
  EXPECT_FALSE(meets_slo(none, {100.0, {}, {}}));
  EXPECT_TRUE(meets_slo(none, {{}, 0.0, 100.0}));
}

TEST(Validity, LagP99OverTheBoundIsInvalidWithTheReason) {
  EXPECT_TRUE(known(open_loop(std::nullopt, {}, {4.0, 5})).validity.valid);
  EXPECT_TRUE(known(open_loop(std::nullopt, {}, {3.971, 5})).validity.valid);
  const Validity v = known(open_loop(std::nullopt, {}, {3.9, 5})).validity;
  EXPECT_FALSE(v.valid);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0], "lag P99 3.970 ms exceeds --max-lag-p99-ms 3.9");
}

TEST(Validity, AchievedRateBelowTheMarginIsInvalidWithTheReason) {
  // 95.238 req/s achieved: 4.76 % below 100.
  EXPECT_TRUE(known(open_loop(100.0, {}, {10, 5})).validity.valid);
  EXPECT_TRUE(known(open_loop(95.0, {}, {10, 0})).validity.valid);  // above the asked rate
  const Validity v = known(open_loop(100.0, {}, {10, 4})).validity;
  EXPECT_FALSE(v.valid);
  ASSERT_EQ(v.reasons.size(), 1u);
  EXPECT_EQ(v.reasons[0],
            "achieved arrival rate 95.238 req/s is 4.8% below the asked 100 req/s "
            "(--max-rate-shortfall-pct 4)");
  // Both rules broken: both reasons, lag first.
  const Validity both = known(open_loop(200.0, {}, {1, 5})).validity;
  EXPECT_FALSE(both.valid);
  ASSERT_EQ(both.reasons.size(), 2u);
  EXPECT_EQ(both.reasons[0].rfind("lag P99 ", 0), 0u);
  EXPECT_EQ(both.reasons[1].rfind("achieved arrival rate 95.238 req/s is 52.4% below", 0), 0u);
}

TEST(Validity, NoAskedRateOrOneArrivalIsNeverInvalidOnRate) {
  // A closed loop asks no rate.
  EXPECT_TRUE(known(open_loop(std::nullopt, {}, {10, 0})).validity.valid);
  // One arrival spans no time: no achieved rate to judge.
  const std::vector<RequestRecord> one{open_loop_record(0, 0, 0, 1, {5})};
  const Metrics m = compute_metrics(one, 1, open_loop(1e6));
  EXPECT_FALSE(m.arrivals.achieved_rate.has_value());
  EXPECT_TRUE(m.validity.valid);
}

TEST(Validity, RunOptionsReachTheMetrics) {
  RunOptions o;
  EXPECT_FALSE(metrics_options_for(o).open_loop);
  EXPECT_FALSE(metrics_options_for(o).asked_rate.has_value());
  o.request_rate = 100;
  o.goodput.tpot_ms = 10;
  o.max_lag_p99_ms = 2;
  o.max_rate_shortfall_pct = 1;
  o.percentiles = {90};
  o.stream_output = false;
  const MetricsOptions m = metrics_options_for(o);
  EXPECT_TRUE(m.open_loop);
  EXPECT_EQ(m.asked_rate, 100.0);
  EXPECT_EQ(m.goodput.tpot_ms, 10.0);
  EXPECT_EQ(m.limits.max_lag_p99_ms, 2.0);
  EXPECT_EQ(m.limits.max_rate_shortfall_pct, 1.0);
  EXPECT_EQ(m.percentile_points, std::vector<double>{90});
  EXPECT_FALSE(m.streaming);
}

// --json and --requests-out of these records, then check_open_loop_report.py's exit code.
int numpy_check(const RunInfo& info, const Metrics& m, const std::vector<RequestRecord>& records,
                const std::string& name) {
  const std::string json = scratch_path(name + ".json"), jsonl = scratch_path(name + ".jsonl");
  write_json(json, info, m, {});
  write_requests_jsonl(jsonl, records, false);
  const std::string command = "/usr/bin/python3 " + std::string(TPBENCH_SOURCE_DIR) +
                              "/tests/coordinator/report/check_open_loop_report.py " + json + " " + jsonl;
  const int rc = std::system(command.c_str());
  std::remove(json.c_str());
  std::remove(jsonl.c_str());
  return rc;
}

TEST(OpenLoopVsNumpy, RandomRecordsSlosRatesAndLimitsFromTheJsonl) {
  const std::vector<GoodputSlo> slos = {{800.0, {}, {}},       {{}, 50.0, {}},
                                        {{}, {}, 2500.0},      {},
                                        {800.0, 50.0, 2500.0}, {1500.0, {}, 3000.0}};
  const std::vector<double> lag_bounds = {0.5, 10, 1000};
  const std::vector<double> rate_factors = {0, 0.9, 1.2, 3.0};  // 0: closed loop
  int n = 0, invalid = 0, with_goodput = 0;
  for (uint64_t seed : {11, 12, 13}) {
    for (size_t size : {1, 2, 7, 100, 1500}) {
      RunInfo info = fixture_info(n % 4 != 3);
      RunOptions& o = info.options;
      o.percentiles = n % 2 ? std::vector<double>{50, 90, 99, 99.9} : std::vector<double>{25, 99};
      o.goodput = slos[n % slos.size()];
      o.max_lag_p99_ms = lag_bounds[n % lag_bounds.size()];
      o.max_rate_shortfall_pct = n % 3 ? 5 : 20;
      const double factor = rate_factors[n % rate_factors.size()];
      // random_records submit over 5 s: about size / 5 req/s.
      if (factor > 0) o.request_rate = factor * static_cast<double>(size) / 5.0;
      if (!o.stream_output) o.goodput.ttft_ms.reset();
      const std::vector<RequestRecord> records = random_open_loop_records(seed * 31 + size, size);
      const Metrics m = compute_metrics(records, size, metrics_options_for(o));
      invalid += m.validity.valid ? 0 : 1;
      with_goodput += m.goodput && m.goodput->good > 0 && m.goodput->good < records.size();
      EXPECT_EQ(numpy_check(info, m, records, "case" + std::to_string(n)), 0)
          << "seed " << seed << " size " << size;
      ++n;
    }
  }
  // The cases exercise both verdicts and goodput between none and all.
  EXPECT_GT(invalid, 2);
  EXPECT_LT(invalid, n - 2);
  EXPECT_GT(with_goodput, 3);
}

TEST(OpenLoopVsNumpy, TheCheckFailsOnAWrongReport) {
  const std::vector<RequestRecord> records = random_open_loop_records(99, 200);
  RunInfo info = fixture_info();
  info.options.request_rate = 40;
  info.options.goodput.ttft_ms = 800;
  const Metrics right = compute_metrics(records, 200, metrics_options_for(info.options));
  ASSERT_EQ(numpy_check(info, right, records, "right"), 0);
  RunOptions other = info.options;
  other.goodput.ttft_ms = 700;  // the report's goodput from another SLO than its config's
  EXPECT_NE(numpy_check(info, compute_metrics(records, 200, metrics_options_for(other)), records,
                        "wrong-slo"),
            0);
  std::vector<RequestRecord> changed = records;
  changed[17].queue_ns += 1000;  // records that are not the report's
  EXPECT_NE(numpy_check(info, right, changed, "wrong-queue"), 0);
  Metrics flipped = right;
  flipped.validity.valid = !flipped.validity.valid;
  EXPECT_NE(numpy_check(info, flipped, records, "wrong-verdict"), 0);
}

}  // namespace
}  // namespace tpbench::test
