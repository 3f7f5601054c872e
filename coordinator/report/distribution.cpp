#include "coordinator/report/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace tpbench {
namespace {

// numpy's _lerp: interpolates from the nearer end so that t == 1 returns b exactly.
double lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

double percentile_of_sorted(const std::vector<double>& sorted, double q) {
  TPBENCH_CHECK(q >= 0 && q <= 100, "percentile outside [0, 100]");
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double index = (q / 100.0) * static_cast<double>(sorted.size() - 1);
  const double below = std::floor(index);
  const size_t lo = static_cast<size_t>(below);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return lerp(sorted[lo], sorted[hi], index - below);
}

}  // namespace

double percentile_linear(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return percentile_of_sorted(values, q);
}

Distribution summarize(std::vector<double> values, const std::vector<double>& percentile_points) {
  Distribution d;
  d.count = values.size();
  d.percentiles.assign(percentile_points.size(), 0.0);
  if (values.empty()) return d;

  std::sort(values.begin(), values.end());
  long double sum = 0;
  for (double v : values) sum += v;
  d.mean = static_cast<double>(sum / static_cast<long double>(values.size()));
  long double squares = 0;
  for (double v : values) {
    const long double dev = static_cast<long double>(v) - d.mean;
    squares += dev * dev;
  }
  d.std = static_cast<double>(std::sqrt(squares / static_cast<long double>(values.size())));
  d.min = values.front();
  d.max = values.back();
  for (size_t i = 0; i < percentile_points.size(); ++i) {
    d.percentiles[i] = percentile_of_sorted(values, percentile_points[i]);
  }
  return d;
}

}  // namespace tpbench
