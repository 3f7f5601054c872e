#pragma once
#include <mpi.h>

#include "engine/comm/communicator.hpp"

namespace tpbench {

// Communicator over an MPI communicator (host memory). Does not own or free `comm`.
class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(float* data, size_t count) override;
  void broadcast(void* data, size_t bytes, int root) override;
  void all_gather(const float* send, float* recv, size_t count) override;
  void barrier() override;

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace tpbench
