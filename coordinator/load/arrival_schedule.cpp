#include "coordinator/load/arrival_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.hpp"
#include "coordinator/load/arrival_stream.hpp"

namespace tpbench {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMaxArrivals = 1e8;

// Gap of a request at `rate` from its unit draw (ignored when the gaps are constant).
double gap_seconds(double rate, double burstiness, double draw) {
  if (rate == kInf) return 0;
  if (burstiness == kInf) return 1 / rate;
  return draw / (rate * burstiness);
}

}  // namespace

ArrivalShape arrival_shape_of(const RunOptions& o) {
  ArrivalShape shape;
  shape.request_rate = o.request_rate;
  shape.burstiness = o.burstiness;
  shape.ramp = o.ramp_up_strategy;
  shape.ramp_start_rps = o.ramp_up_start_rps.value_or(0);
  shape.ramp_end_rps = o.ramp_up_end_rps.value_or(0);
  return shape;
}

double rate_at(const ArrivalShape& shape, size_t index, size_t count) {
  const double progress =
      static_cast<double>(index) / static_cast<double>(std::max<size_t>(count, 2) - 1);
  switch (shape.ramp) {
    case RampUp::kNone:
      return shape.request_rate;
    case RampUp::kLinear:
      return shape.ramp_start_rps + (shape.ramp_end_rps - shape.ramp_start_rps) * progress;
    case RampUp::kExponential:
      return shape.ramp_start_rps * std::pow(shape.ramp_end_rps / shape.ramp_start_rps, progress);
  }
  throw InternalError("rate_at: no such ramp");
}

std::vector<double> unit_gap_draws(double burstiness, size_t count, int64_t seed) {
  std::vector<double> draws;
  if (burstiness == kInf) return draws;
  ArrivalStream stream(seed);
  draws.resize(count);
  for (double& draw : draws) draw = stream.unit_gamma(burstiness);
  return draws;
}

std::vector<double> arrival_seconds(const ArrivalShape& shape, size_t count, int64_t seed) {
  std::vector<double> at(count, 0.0);
  if (shape.ramp == RampUp::kNone && shape.request_rate == kInf) return at;
  const std::vector<double> draws = unit_gap_draws(shape.burstiness, count, seed);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    sum += gap_seconds(rate_at(shape, i, count), shape.burstiness, draws.empty() ? 0 : draws[i]);
    at[i] = sum;
  }
  // vLLM: the summed gaps miss n / rate by a percent or two; stretch them to land on it.
  if (shape.ramp == RampUp::kNone && count > 0 && at.back() > 0) {
    const double factor = static_cast<double>(count) / shape.request_rate / at.back();
    for (double& t : at) t *= factor;
  }
  return at;
}

int64_t seconds_to_ns(double seconds) {
  return std::llround(seconds * 1e9);
}

std::vector<int64_t> arrival_schedule_ns(const ArrivalShape& shape, size_t count, int64_t seed) {
  const std::vector<double> seconds = arrival_seconds(shape, count, seed);
  std::vector<int64_t> ns(count);
  std::transform(seconds.begin(), seconds.end(), ns.begin(), seconds_to_ns);
  return ns;
}

std::vector<int64_t> arrivals_within_ns(const ArrivalShape& shape, double duration_s,
                                        int64_t seed) {
  TPBENCH_CHECK(shape.ramp == RampUp::kNone && std::isfinite(shape.request_rate),
                "--duration takes a fixed finite rate");
  if (shape.request_rate * duration_s > kMaxArrivals) {
    throw InputError("--duration " + std::to_string(duration_s) + " at --request-rate " +
                     std::to_string(shape.request_rate) +
                     ": more than 100,000,000 arrivals; shorten the run or lower the rate");
  }
  ArrivalStream stream(seed);
  std::vector<int64_t> ns;
  double sum = 0;
  while (true) {
    const double draw = shape.burstiness == kInf ? 0 : stream.unit_gamma(shape.burstiness);
    sum += gap_seconds(shape.request_rate, shape.burstiness, draw);
    if (!(sum < duration_s)) break;
    ns.push_back(seconds_to_ns(sum));
  }
  return ns;
}

}  // namespace tpbench
