#pragma once
// The coordinator's store of timing records: every request id exactly once.
#include <cstdint>
#include <string>
#include <vector>

#include "common/records.hpp"

namespace tpbench {

class RecordCollector {
 public:
  explicit RecordCollector(uint64_t total_requests);

  // Adds a batch from `replica`; records whose id is out of range, already reported, or that
  // claim another replica are dropped and counted as rejected.
  void add(int replica, std::vector<RequestRecord>&& records);

  uint64_t total() const { return total_; }
  uint64_t received() const { return records_.size(); }
  uint64_t received_from(int replica) const;
  uint64_t completed() const { return completed_; }
  int64_t output_tokens() const { return output_tokens_; }  // completed requests
  uint64_t rejected() const { return rejected_; }
  const std::string& first_rejection() const { return first_rejection_; }
  const std::vector<RequestRecord>& records() const { return records_; }

 private:
  void reject(const std::string& why);

  uint64_t total_;
  std::vector<uint8_t> seen_;
  std::vector<RequestRecord> records_;
  std::vector<uint64_t> per_replica_;
  uint64_t completed_ = 0;
  int64_t output_tokens_ = 0;
  uint64_t rejected_ = 0;
  std::string first_rejection_;
};

}  // namespace tpbench
