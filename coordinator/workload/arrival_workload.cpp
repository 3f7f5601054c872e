// schedule_arrivals: the open-loop schedule (coordinator/load/) laid on the sampled requests.
#include <vector>

#include "common/error.hpp"
#include "coordinator/load/arrival_schedule.hpp"
#include "coordinator/workload/workload.hpp"

namespace tpbench {

void schedule_arrivals(Workload& workload, const RunOptions& options) {
  const ArrivalShape shape = arrival_shape_of(options);
  if (!options.duration_s) {
    const std::vector<int64_t> at =
        arrival_schedule_ns(shape, workload.requests.size(), options.seed);
    for (size_t i = 0; i < at.size(); ++i) workload.requests[i].scheduled_ns = at[i];
    return;
  }
  const std::vector<int64_t> at = arrivals_within_ns(shape, *options.duration_s, options.seed);
  if (at.empty()) {
    throw InputError("--duration " + std::to_string(*options.duration_s) + " at --request-rate " +
                     std::to_string(options.request_rate) + ": no arrival falls in it");
  }
  std::vector<WorkloadRequest> sampled = std::move(workload.requests);
  TPBENCH_CHECK(!sampled.empty(), "a sampled workload has requests");
  workload.cycled_from = sampled.size();
  workload.requests.clear();
  workload.requests.reserve(at.size());
  for (size_t i = 0; i < at.size(); ++i) {
    WorkloadRequest request = sampled[i % sampled.size()];
    request.id = i;
    request.scheduled_ns = at[i];
    workload.requests.push_back(std::move(request));
  }
}

}  // namespace tpbench
