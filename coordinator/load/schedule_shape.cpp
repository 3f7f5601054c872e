#include "coordinator/load/schedule_shape.hpp"

#include <cmath>

namespace tpbench {

ScheduleShape schedule_shape(const std::vector<int64_t>& scheduled_ns) {
  ScheduleShape shape;
  shape.arrivals = scheduled_ns.size();
  if (scheduled_ns.empty()) return shape;
  const double n = static_cast<double>(scheduled_ns.size());
  shape.span_s = static_cast<double>(scheduled_ns.back()) * 1e-9;
  shape.mean_gap_s = shape.span_s / n;
  if (shape.mean_gap_s <= 0) return shape;
  double squares = 0;
  int64_t previous = 0;
  for (int64_t at : scheduled_ns) {
    const double deviation = static_cast<double>(at - previous) * 1e-9 - shape.mean_gap_s;
    squares += deviation * deviation;
    previous = at;
  }
  shape.gap_cv = std::sqrt(squares / n) / shape.mean_gap_s;
  return shape;
}

}  // namespace tpbench
