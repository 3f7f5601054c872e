// The arrival schedule against its definitions (coordinator/load/arrival_schedule.hpp): the
// gaps of a Poisson schedule are exponential at the asked rate (Kolmogorov-Smirnov), gamma
// shape B gives CV 1 / sqrt(B), the rescale puts the last arrival at n / rate, a ramp follows
// vLLM's formula (numpy, driven by the same draws).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "coordinator/load/arrival_schedule.hpp"
#include "coordinator/load/arrival_stream.hpp"
#include "coordinator/load/schedule_shape.hpp"
#include "load_test_util.hpp"

namespace tpbench {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

ArrivalShape at_rate(double rate, double burstiness = 1.0) {
  ArrivalShape shape;
  shape.request_rate = rate;
  shape.burstiness = burstiness;
  return shape;
}

ArrivalShape ramp(RampUp strategy, double start, double end, double burstiness = 1.0) {
  ArrivalShape shape;
  shape.request_rate = kInf;
  shape.burstiness = burstiness;
  shape.ramp = strategy;
  shape.ramp_start_rps = start;
  shape.ramp_end_rps = end;
  return shape;
}

std::vector<double> gaps_of(const std::vector<double>& at) {
  std::vector<double> gaps(at.size());
  std::adjacent_difference(at.begin(), at.end(), gaps.begin());
  return gaps;
}

// sup |F_n(x) - (1 - exp(-rate x))| over the sample.
double ks_statistic_exponential(std::vector<double> sample, double rate) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    const double cdf = 1 - std::exp(-rate * sample[i]);
    d = std::max({d, (static_cast<double>(i) + 1) / n - cdf, cdf - static_cast<double>(i) / n});
  }
  return d;
}

double coefficient_of_variation(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  double squares = 0;
  for (double x : v) squares += (x - mean) * (x - mean);
  return std::sqrt(squares / n) / mean;
}

// Kolmogorov-Smirnov at alpha = 0.001: the asymptotic critical value 1.95 / sqrt(n).
TEST(ArrivalSchedule, PoissonGapsPassKolmogorovSmirnovAtTheAskedRate) {
  constexpr size_t kCount = 4000;
  const double critical = 1.95 / std::sqrt(static_cast<double>(kCount));
  for (double rate : {0.5, 10.0, 1000.0}) {
    for (int64_t seed : {0, 1, 12345}) {
      const std::vector<double> gaps = gaps_of(arrival_seconds(at_rate(rate), kCount, seed));
      const double d = ks_statistic_exponential(gaps, rate);
      EXPECT_LT(d, critical) << "rate " << rate << " seed " << seed;
      // The test has power: the same gaps are far from an exponential at a rate 20% off.
      EXPECT_GT(ks_statistic_exponential(gaps, rate * 1.2), critical) << "rate " << rate;
    }
  }
}

TEST(ArrivalSchedule, BurstinessSetsTheCoefficientOfVariation) {
  constexpr size_t kCount = 20000;
  for (double b : {0.25, 1.0, 4.0}) {
    const std::vector<double> gaps = gaps_of(arrival_seconds(at_rate(50, b), kCount, 7));
    // CV of Gamma(B) is 1 / sqrt(B): 2 at B = 0.25. The estimate's spread at n = 20000 is a
    // few percent for B = 0.25 (heavy tail), well under 1% for the others.
    EXPECT_NEAR(coefficient_of_variation(gaps), 1 / std::sqrt(b), 0.1 / std::sqrt(b)) << b;
  }
  const std::vector<double> constant = gaps_of(arrival_seconds(at_rate(50, kInf), 100, 7));
  for (double gap : constant) EXPECT_NEAR(gap, 0.02, 1e-12);
}

TEST(ArrivalSchedule, UnitGammaHasMeanAndVarianceOfItsShape) {
  ArrivalStream stream(3);
  for (double shape : {0.25, 1.0, 2.5, 9.0}) {
    constexpr int kCount = 200000;
    double sum = 0, squares = 0;
    for (int i = 0; i < kCount; ++i) {
      const double x = stream.unit_gamma(shape);
      ASSERT_GE(x, 0);
      sum += x;
      squares += x * x;
    }
    const double mean = sum / kCount, variance = squares / kCount - mean * mean;
    EXPECT_NEAR(mean, shape, 5 * std::sqrt(shape / kCount)) << shape;
    EXPECT_NEAR(variance, shape, 0.05 * shape) << shape;
  }
}

TEST(ArrivalSchedule, RescaledSoTheLastArrivalIsAtCountOverRate) {
  for (size_t count : {1u, 2u, 17u, 1000u}) {
    for (double b : {0.25, 1.0, 3.0}) {
      const std::vector<double> at = arrival_seconds(at_rate(8, b), count, 11);
      ASSERT_EQ(at.size(), count);
      EXPECT_NEAR(at.back(), static_cast<double>(count) / 8, 1e-9) << count << " " << b;
      EXPECT_GT(at.front(), 0);  // the first arrival is the first gap, not t0
      EXPECT_TRUE(std::is_sorted(at.begin(), at.end()));
    }
  }
  // numpy computes the same rescaled schedule from the same draws.
  const std::vector<double> draws = unit_gap_draws(0.5, 300, 21);
  const std::vector<double> expected =
      load_test::numbers(load_test::run_reference("rate 12.5 0.5", load_test::lines_of(draws)));
  const std::vector<double> at = arrival_seconds(at_rate(12.5, 0.5), 300, 21);
  ASSERT_EQ(expected.size(), at.size());
  for (size_t i = 0; i < at.size(); ++i) EXPECT_NEAR(at[i], expected[i], 1e-9 * expected[i]) << i;
}

TEST(ArrivalSchedule, InfiniteRateIsAllAtZero) {
  for (int64_t t : arrival_schedule_ns(at_rate(kInf), 50, 0)) EXPECT_EQ(t, 0);
}

TEST(ArrivalSchedule, RampFollowsVllmsFormulaOnTheSameDraws) {
  struct Case {
    RampUp strategy;
    const char* name;
    double start, end, burstiness;
    size_t count;
  };
  for (const Case& c : {Case{RampUp::kLinear, "linear", 1, 40, 1.0, 500},
                        Case{RampUp::kExponential, "exponential", 2, 200, 0.5, 400},
                        Case{RampUp::kLinear, "linear", 5, 5, 2.0, 1},
                        Case{RampUp::kExponential, "exponential", 0.5, 64, 1.0, 2}}) {
    const std::vector<double> draws = unit_gap_draws(c.burstiness, c.count, 99);
    const std::string args = std::string("ramp ") + c.name + " " + std::to_string(c.start) + " " +
                             std::to_string(c.end) + " " + std::to_string(c.burstiness);
    const std::vector<double> expected =
        load_test::numbers(load_test::run_reference(args, load_test::lines_of(draws)));
    const std::vector<double> at =
        arrival_seconds(ramp(c.strategy, c.start, c.end, c.burstiness), c.count, 99);
    ASSERT_EQ(expected.size(), at.size()) << c.name;
    for (size_t i = 0; i < at.size(); ++i)
      ASSERT_NEAR(at[i], expected[i], 1e-9 * expected[i]) << c.name << " " << i;
  }
}

// Over many seeds the mean gap of request i is 1 / rate_i (a check of the rates alone).
TEST(ArrivalSchedule, RampMeanGapPerIndexIsOneOverItsRate) {
  constexpr size_t kCount = 21;
  constexpr int kSeeds = 4000;
  const ArrivalShape shape = ramp(RampUp::kLinear, 2, 22);
  std::vector<double> mean_gap(kCount, 0);
  for (int seed = 0; seed < kSeeds; ++seed) {
    const std::vector<double> gaps = gaps_of(arrival_seconds(shape, kCount, seed));
    for (size_t i = 0; i < kCount; ++i) mean_gap[i] += gaps[i] / kSeeds;
  }
  for (size_t i = 0; i < kCount; ++i) {
    const double rate = 2 + 20 * static_cast<double>(i) / (kCount - 1);  // 2, 3, ..., 22
    // Exponential gaps: the standard error of the mean is (1 / rate) / sqrt(kSeeds).
    EXPECT_NEAR(mean_gap[i], 1 / rate, 5 / rate / std::sqrt(kSeeds)) << i;
  }
}

TEST(ArrivalSchedule, DeterministicPerSeedAndIndependentOfTheDatasetStream) {
  EXPECT_EQ(arrival_schedule_ns(at_rate(5), 100, 42), arrival_schedule_ns(at_rate(5), 100, 42));
  EXPECT_NE(arrival_schedule_ns(at_rate(5), 100, 42), arrival_schedule_ns(at_rate(5), 100, 43));
  // A stream of its own: not CPython's random.seed(seed) generator's first outputs, nor the
  // bare seed in std::mt19937_64.
  EXPECT_NE(arrival_seed(0), 0u);
  EXPECT_NE(arrival_seed(42), 42u);
  EXPECT_NE(arrival_seed(42), arrival_seed(43));
}

TEST(ArrivalSchedule, DurationKeepsTheArrivalsBeforeItWithTheSameDraws) {
  const std::vector<int64_t> within = arrivals_within_ns(at_rate(100, 1.0), 20.0, 5);
  // About 2000 arrivals, Poisson: 5 standard deviations is 224.
  EXPECT_NEAR(static_cast<double>(within.size()), 2000, 224);
  EXPECT_LT(within.back(), 20'000'000'000);
  const std::vector<double> draws = unit_gap_draws(1.0, within.size(), 5);
  double sum = 0;
  for (size_t i = 0; i < within.size(); ++i) {
    sum += draws[i] / 100;
    ASSERT_EQ(within[i], seconds_to_ns(sum)) << i;
  }
  sum += unit_gap_draws(1.0, within.size() + 1, 5).back() / 100;
  EXPECT_GE(sum, 20.0);  // the next arrival would fall after the end
  EXPECT_EQ(arrivals_within_ns(at_rate(4, kInf), 1.0, 0),
            (std::vector<int64_t>{250'000'000, 500'000'000, 750'000'000}));
}

TEST(ScheduleShape, SpanMeanGapAndCv) {
  const ScheduleShape shape = schedule_shape({1'000'000'000, 2'000'000'000, 4'000'000'000});
  EXPECT_EQ(shape.arrivals, 3u);
  EXPECT_DOUBLE_EQ(shape.span_s, 4.0);
  EXPECT_DOUBLE_EQ(shape.mean_gap_s, 4.0 / 3);
  // gaps 1, 1, 2: population sd sqrt(2/9), over the mean 4/3
  EXPECT_NEAR(shape.gap_cv, std::sqrt(2.0 / 9) / (4.0 / 3), 1e-12);
  EXPECT_EQ(schedule_shape({0, 0}).gap_cv, 0);
}

}  // namespace
}  // namespace tpbench
