#pragma once
// Collective operations inside one TP replica. The CPU backend uses MpiCommunicator on host
// buffers; the CUDA backend will use NCCL behind the same interface.
#include <cstddef>
#include <cstdint>

namespace tpbench {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void all_reduce_sum(float* data, size_t count) = 0;
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  // recv holds size() * count floats; rank r's send lands at recv + r * count.
  virtual void all_gather(const float* send, float* recv, size_t count) = 0;
  virtual void barrier() = 0;
};

}  // namespace tpbench
