#pragma once
// When each request arrives in an open loop, in ns since t0 (docs/ARCHITECTURE.md, "Load
// shapes"). vLLM's rules (benchmark_serving / `vllm bench serve`):
//   - gap i ~ Gamma(shape B, scale 1 / (rate_i * B)): mean 1 / rate_i, CV 1 / sqrt(B); B = 1 is
//     Poisson, B = inf a constant gap. Arrival i is the sum of gaps 0..i (the first is not at 0).
//   - rate_i is --request-rate, or a ramp's rate at p = i / max(n - 1, 1): linear
//     start + (end - start) * p, exponential start * (end / start)^p.
//   - without a ramp the arrivals are rescaled so that the last one lands at exactly n / rate;
//     with a ramp they are not.
//   - rate inf (and no ramp): every arrival at 0.
// The gaps come from ArrivalStream(--seed): the schedule depends on the options alone, never on
// the number of replicas or on the dataset.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/run_options.hpp"

namespace tpbench {

struct ArrivalShape {
  double request_rate = 0;  // requests/s; inf with a ramp
  double burstiness = 1.0;
  RampUp ramp = RampUp::kNone;
  double ramp_start_rps = 0, ramp_end_rps = 0;
};

ArrivalShape arrival_shape_of(const RunOptions& options);

// The rate request `index` of `count` arrives at.
double rate_at(const ArrivalShape& shape, size_t index, size_t count);

// The unit draws behind the gaps: Gamma(B, 1) each, in order (empty for B = inf). Gap i is
// draws[i] / (rate_i * B).
std::vector<double> unit_gap_draws(double burstiness, size_t count, int64_t seed);

// Arrival times in seconds since t0 of `count` requests.
std::vector<double> arrival_seconds(const ArrivalShape& shape, size_t count, int64_t seed);

// The same, rounded to ns.
std::vector<int64_t> arrival_schedule_ns(const ArrivalShape& shape, size_t count, int64_t seed);

// --duration: the arrivals of a fixed rate (no ramp) that fall before duration_s, in ns; the
// same gap draws as arrival_seconds, unscaled (there is no last request to land at n / rate).
// Throws InputError when rate * duration asks for more than a hundred million arrivals.
std::vector<int64_t> arrivals_within_ns(const ArrivalShape& shape, double duration_s, int64_t seed);

int64_t seconds_to_ns(double seconds);

}  // namespace tpbench
