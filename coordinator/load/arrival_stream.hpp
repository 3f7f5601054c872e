#pragma once
// The random stream of the arrival schedule: its own generator, seeded from --seed by a fixed
// derivation, apart from the CPython-exact stream that samples the dataset (which must stay
// LMDeploy's). Gamma draws are written out here (Marsaglia and Tsang) rather than taken from
// std::gamma_distribution, whose algorithm differs between standard libraries: a seed gives the
// same schedule on every build.
#include <cstdint>
#include <random>

namespace tpbench {

// The seed of the arrival stream for a run's --seed.
uint64_t arrival_seed(int64_t run_seed);

class ArrivalStream {
 public:
  explicit ArrivalStream(int64_t run_seed);

  // A Gamma(shape, scale 1) draw; shape > 0 and finite. Its mean is shape, its coefficient of
  // variation 1/sqrt(shape).
  double unit_gamma(double shape);

  // Uniform in the open interval (0, 1).
  double uniform();

 private:
  double standard_normal();

  std::mt19937_64 engine_;
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

}  // namespace tpbench
