// compute_metrics and percentile_linear against numpy on random records.
#include <gtest/gtest.h>

#include <random>

#include "coordinator/report/metrics.hpp"
#include "tests/coordinator/report/numpy_reference.hpp"
#include "tests/coordinator/report/random_records.hpp"

namespace tpbench::test {
namespace {

const std::vector<std::vector<double>> kPointSets = {
    {50, 75, 95, 99}, {0, 50, 99.9, 100}, {33.3, 12.5, 87.5}, {100, 0}};

void expect_distribution(const Distribution& d, const std::map<std::string, double>& ref,
                         const std::string& label, const std::string& context) {
  ASSERT_TRUE(ref.count(label + ".count")) << context << " " << label;
  EXPECT_EQ(d.count, static_cast<size_t>(ref.at(label + ".count"))) << context << " " << label;
  if (d.count == 0) return;
  EXPECT_PRED2(near, d.mean, ref.at(label + ".mean")) << context << " " << label;
  EXPECT_PRED2(near, d.min, ref.at(label + ".min")) << context << " " << label;
  EXPECT_PRED2(near, d.max, ref.at(label + ".max")) << context << " " << label;
  EXPECT_PRED2(near, d.std, ref.at(label + ".std")) << context << " " << label;
  for (size_t i = 0; i < d.percentiles.size(); ++i) {
    EXPECT_PRED2(near, d.percentiles[i], ref.at(label + ".pct" + std::to_string(i)))
        << context << " " << label << " percentile #" << i;
  }
}

TEST(MetricsVsNumpy, RandomRecordsManySeedsAndSizes) {
  std::vector<MetricsCase> cases;
  int n = 0;
  for (uint64_t seed : {1, 2, 3, 4}) {
    for (size_t size : {1, 2, 3, 10, 257, 2000}) {
      MetricsCase c;
      c.name = "seed" + std::to_string(seed) + "_size" + std::to_string(size);
      c.streaming = (n % 5) != 4;
      c.points = kPointSets[n % kPointSets.size()];
      c.records = random_records(seed * 7919 + size, size);
      cases.push_back(std::move(c));
      ++n;
    }
  }
  const Reference ref = numpy_reference(cases, {});
  ASSERT_EQ(ref.size(), cases.size());
  for (const MetricsCase& c : cases) {
    const Metrics m = compute_metrics(c.records, c.records.size(), c.points, c.streaming);
    const auto& r = ref.at(c.name);
    EXPECT_EQ(m.completed, static_cast<size_t>(r.at("completed"))) << c.name;
    EXPECT_EQ(m.failed, static_cast<size_t>(r.at("failed"))) << c.name;
    EXPECT_EQ(m.total_input_tokens, static_cast<int64_t>(r.at("input_tokens"))) << c.name;
    EXPECT_EQ(m.total_output_tokens, static_cast<int64_t>(r.at("output_tokens"))) << c.name;
    EXPECT_PRED2(near, m.duration_s, r.at("duration")) << c.name;
    EXPECT_PRED2(near, m.input_throughput, r.at("input_throughput")) << c.name;
    EXPECT_PRED2(near, m.output_throughput, r.at("output_throughput")) << c.name;
    EXPECT_PRED2(near, m.request_throughput, r.at("request_throughput")) << c.name;
    EXPECT_PRED2(near, m.requests_per_minute, r.at("rpm")) << c.name;
    EXPECT_PRED2(near, m.total_throughput, r.at("input_throughput") + r.at("output_throughput"))
        << c.name;
    EXPECT_EQ(m.have_ttft, c.streaming);
    EXPECT_EQ(m.have_itl, c.streaming);
    expect_distribution(m.e2e, r, "e2e", c.name);
    expect_distribution(m.tpot, r, "tpot", c.name);
    if (c.streaming) {
      expect_distribution(m.ttft, r, "ttft", c.name);
      expect_distribution(m.itl, r, "itl", c.name);
    }
  }
}

TEST(PercentileLinearVsNumpy, RandomValuesTiesAndEdges) {
  std::vector<PercentileCase> cases;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> value(-5.0, 50.0);
  int n = 0;
  for (size_t size : {1, 2, 3, 5, 100, 1001}) {
    for (double q : {0.0, 0.1, 25.0, 50.0, 62.5, 99.0, 99.9, 100.0}) {
      PercentileCase c{std::string("p").append(std::to_string(n++)), q, {}};
      for (size_t i = 0; i < size; ++i) {
        c.values.push_back(i % 3 == 0 ? std::round(value(rng)) : value(rng));  // ties too
      }
      cases.push_back(std::move(c));
    }
  }
  const Reference ref = numpy_reference({}, cases);
  ASSERT_EQ(ref.size(), cases.size());
  for (const PercentileCase& c : cases) {
    EXPECT_PRED2(near, percentile_linear(c.values, c.q), ref.at(c.name).at("value"))
        << c.name << " q=" << c.q << " n=" << c.values.size();
  }
}

}  // namespace
}  // namespace tpbench::test
