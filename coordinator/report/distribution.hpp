#pragma once
// Summary statistics of one latency sample, numpy-compatible.
#include <vector>

#include "coordinator/report/metrics.hpp"

namespace tpbench {

// count, mean, min, max, population std and the given percentiles of values (seconds).
// An empty sample gives count 0, zeros everywhere and one zero per percentile point.
Distribution summarize(std::vector<double> values, const std::vector<double>& percentile_points);

}  // namespace tpbench
