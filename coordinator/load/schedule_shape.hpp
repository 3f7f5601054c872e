#pragma once
// What a schedule looks like, for --dry-run: its span and the mean and coefficient of
// variation of its gaps. The gaps are counted from t0: gap 0 is the first arrival, gap i the
// time from arrival i - 1 to arrival i, so the mean gap is span / arrivals (1 / rate exactly
// for vLLM's rescaled schedule).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tpbench {

struct ScheduleShape {
  size_t arrivals = 0;
  double span_s = 0;      // the last arrival, in seconds since t0
  double mean_gap_s = 0;  // span / arrivals
  double gap_cv = 0;      // standard deviation / mean of the gaps (population); 0 if mean is 0
};

// scheduled_ns in arrival order (non-decreasing).
ScheduleShape schedule_shape(const std::vector<int64_t>& scheduled_ns);

}  // namespace tpbench
