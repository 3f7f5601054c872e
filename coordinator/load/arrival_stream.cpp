#include "coordinator/load/arrival_stream.hpp"

#include <cmath>

#include "common/counter_rng.hpp"

namespace tpbench {

uint64_t arrival_seed(int64_t run_seed) {
  // A constant that no other stream of tpbench uses ("arrivals" in ASCII), mixed twice.
  constexpr uint64_t kArrivalsTag = 0x6172726976616c73ull;
  return splitmix64(splitmix64(static_cast<uint64_t>(run_seed)) ^ kArrivalsTag);
}

ArrivalStream::ArrivalStream(int64_t run_seed) : engine_(arrival_seed(run_seed)) {}

double ArrivalStream::uniform() {
  return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53;
}

// Marsaglia's polar method; each round gives two independent normals.
double ArrivalStream::standard_normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_normal_;
  }
  double u = 0, v = 0, s = 0;
  do {
    u = 2 * uniform() - 1;
    v = 2 * uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double factor = std::sqrt(-2 * std::log(s) / s);
  spare_normal_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

// Marsaglia and Tsang, "A simple method for generating gamma variables" (2000); a shape below 1
// is boosted: Gamma(a) = Gamma(a + 1) * U^(1/a).
double ArrivalStream::unit_gamma(double shape) {
  if (shape < 1) return unit_gamma(shape + 1) * std::pow(uniform(), 1 / shape);
  const double d = shape - 1.0 / 3.0;
  const double c = 1 / std::sqrt(9 * d);
  while (true) {
    const double x = standard_normal();
    double v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const double u = uniform();
    const double x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (std::log(u) < 0.5 * x2 + d * (1 - v + std::log(v))) return d * v;
  }
}

}  // namespace tpbench
