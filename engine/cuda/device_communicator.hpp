#pragma once
// A communicator over device buffers whose all-reduce also sums 16-bit elements (NCCL): the
// CUDA backend's TP collectives.
#include <cstddef>

#include "engine/comm/communicator.hpp"
#include "engine/cuda/dtype.hpp"

namespace tpbench {

class DeviceCommunicator : public Communicator {
 public:
  // Sums `count` elements of `dtype` (device memory) over the ranks, in place, in that type.
  virtual void all_reduce_sum_as(void* data, size_t count, DType dtype) = 0;
};

}  // namespace tpbench
