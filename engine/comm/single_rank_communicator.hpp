#pragma once
#include <algorithm>

#include "engine/comm/communicator.hpp"

namespace tpbench {

// A replica of one rank: every collective is a no-op (or a copy). For TP 1 without MPI.
class SingleRankCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_sum(float*, size_t) override {}
  void broadcast(void*, size_t, int) override {}
  void all_gather(const float* send, float* recv, size_t count) override {
    std::copy_n(send, count, recv);
  }
  void barrier() override {}
};

}  // namespace tpbench
