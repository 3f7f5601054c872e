#include "coordinator/report/validity.hpp"

#include <algorithm>
#include <cstdio>

#include "coordinator/report/metrics.hpp"

namespace tpbench {
namespace {

std::string format(const char* fmt, double a, double b, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

}  // namespace

int64_t lag_ns(const RequestRecord& r) {
  return r.submit_ns - r.scheduled_ns - r.queue_ns;
}

Arrivals measure_arrivals(const std::vector<RequestRecord>& records,
                          std::optional<double> asked_rate) {
  Arrivals a;
  a.asked_rate = asked_rate;
  a.taken_in = records.size();
  if (records.empty()) return a;
  int64_t first = records.front().submit_ns, last = first;
  std::vector<double> lags;
  lags.reserve(records.size());
  for (const RequestRecord& r : records) {
    first = std::min(first, r.submit_ns);
    last = std::max(last, r.submit_ns);
    lags.push_back(static_cast<double>(lag_ns(r)) / 1e9);
  }
  a.first_submit_s = static_cast<double>(first) / 1e9;
  a.last_submit_s = static_cast<double>(last) / 1e9;
  const double span_s = static_cast<double>(last - first) / 1e9;
  if (span_s > 0) a.achieved_rate = static_cast<double>(a.taken_in) / span_s;
  a.lag_p99_s = percentile_linear(std::move(lags), 99);
  return a;
}

Validity judge_validity(const Arrivals& a, const ValidityLimits& limits) {
  Validity v;
  if (a.taken_in > 0 && a.lag_p99_s > limits.max_lag_p99_ms / 1000.0) {
    v.reasons.push_back(format("lag P99 %.3f ms exceeds --max-lag-p99-ms %g", a.lag_p99_s * 1e3,
                               limits.max_lag_p99_ms));
  }
  if (a.asked_rate && a.achieved_rate &&
      *a.achieved_rate < *a.asked_rate * (1.0 - limits.max_rate_shortfall_pct / 100.0)) {
    const double shortfall = 100.0 * (1.0 - *a.achieved_rate / *a.asked_rate);
    v.reasons.push_back(
        format("achieved arrival rate %.3f req/s is %.1f%% below the asked %g "
               "req/s (--max-rate-shortfall-pct %g)",
               *a.achieved_rate, shortfall, *a.asked_rate, limits.max_rate_shortfall_pct));
  }
  v.valid = v.reasons.empty();
  return v;
}

}  // namespace tpbench
