#include "coordinator/orchestrator/record_collector.hpp"

namespace tpbench {

RecordCollector::RecordCollector(uint64_t total_requests)
    : total_(total_requests), seen_(total_requests, 0) {
  records_.reserve(total_requests);
}

void RecordCollector::add(int replica, std::vector<RequestRecord>&& records) {
  if (replica < 0) {
    reject("record batch with replica " + std::to_string(replica));
    return;
  }
  if (static_cast<size_t>(replica) >= per_replica_.size()) per_replica_.resize(replica + 1, 0);
  per_replica_[replica] += records.size();  // counted as sent, kept or not
  for (auto& r : records) {
    if (r.id >= total_) {
      reject("record for request id " + std::to_string(r.id) + " outside the workload");
      continue;
    }
    if (seen_[r.id]) {
      reject("second record for request id " + std::to_string(r.id));
      continue;
    }
    if (r.replica != replica) {
      reject("record for request id " + std::to_string(r.id) + " claims replica " +
             std::to_string(r.replica) + " but came from replica " + std::to_string(replica));
      continue;
    }
    seen_[r.id] = 1;
    if (r.ok) {
      ++completed_;
      output_tokens_ += r.output_tokens;
    }
    records_.push_back(std::move(r));
  }
}

uint64_t RecordCollector::received_from(int replica) const {
  return replica >= 0 && static_cast<size_t>(replica) < per_replica_.size() ? per_replica_[replica]
                                                                            : 0;
}

void RecordCollector::reject(const std::string& why) {
  if (rejected_++ == 0) first_rejection_ = why;
}

}  // namespace tpbench
