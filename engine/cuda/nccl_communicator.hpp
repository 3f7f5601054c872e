#pragma once
// Communicator over NCCL on device buffers (the CUDA backend's TP collectives). Every call is
// enqueued on the compute stream given at construction and returns without waiting, except
// barrier().
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <string>

#include "engine/cuda/device_communicator.hpp"

namespace tpbench {

[[noreturn]] void fail_nccl(const char* file, int line, const char* call, ncclResult_t result);

}  // namespace tpbench

#define NCCL_CHECK(call)                                              \
  do {                                                                \
    const ncclResult_t tpbench_nccl_ = (call);                        \
    if (tpbench_nccl_ != ncclSuccess)                                 \
      ::tpbench::fail_nccl(__FILE__, __LINE__, #call, tpbench_nccl_); \
  } while (0)

namespace tpbench {

class NcclCommunicator final : public DeviceCommunicator {
 public:
  // Collective over host_comm (the replica's MPI communicator): its rank 0 calls
  // ncclGetUniqueId and broadcasts the id over host_comm (MPI_Bcast), then every rank calls
  // ncclCommInitRank on the current device.
  NcclCommunicator(Communicator& host_comm, cudaStream_t stream);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(float* data, size_t count) override;
  // NCCL sums 16-bit types in that type: each addition of its ring (or tree) is rounded.
  void all_reduce_sum_as(void* data, size_t count, DType dtype) override;
  void broadcast(void* data, size_t bytes, int root) override;
  void all_gather(const float* send, float* recv, size_t count) override;
  // An all-reduce of one float, then waits for the stream.
  void barrier() override;

 private:
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_;
  int rank_ = 0;
  int size_ = 1;
  float* barrier_scratch_ = nullptr;
};

}  // namespace tpbench
