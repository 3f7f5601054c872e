#include "engine/cuda/nccl_communicator.hpp"

#include <cstdio>

#include "common/error.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tpbench {

void fail_nccl(const char* file, int line, const char* call, ncclResult_t result) {
  const std::string text = std::string(file) + ":" + std::to_string(line) + ": " + call + ": " +
                           ncclGetErrorString(result);
  std::fprintf(stderr, "%s\n", text.c_str());
  throw InternalError(text);
}

NcclCommunicator::NcclCommunicator(Communicator& host_comm, cudaStream_t stream)
    : stream_(stream), rank_(host_comm.rank()), size_(host_comm.size()) {
  ncclUniqueId id{};
  if (rank_ == 0) NCCL_CHECK(ncclGetUniqueId(&id));
  host_comm.broadcast(&id, sizeof(id), 0);
  NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  CUDA_CHECK(cudaMalloc(&barrier_scratch_, sizeof(float)));
}

NcclCommunicator::~NcclCommunicator() {
  if (comm_ != nullptr) (void)ncclCommDestroy(comm_);
  if (barrier_scratch_ != nullptr) (void)cudaFree(barrier_scratch_);
}

void NcclCommunicator::all_reduce_sum(float* data, size_t count) {
  NCCL_CHECK(ncclAllReduce(data, data, count, ncclFloat32, ncclSum, comm_, stream_));
}

void NcclCommunicator::all_reduce_sum_as(void* data, size_t count, DType dtype) {
  const ncclDataType_t type = dtype == DType::kBFloat16  ? ncclBfloat16
                              : dtype == DType::kFloat16 ? ncclFloat16
                                                         : ncclFloat32;
  NCCL_CHECK(ncclAllReduce(data, data, count, type, ncclSum, comm_, stream_));
}

void NcclCommunicator::broadcast(void* data, size_t bytes, int root) {
  NCCL_CHECK(ncclBroadcast(data, data, bytes, ncclUint8, root, comm_, stream_));
}

void NcclCommunicator::all_gather(const float* send, float* recv, size_t count) {
  NCCL_CHECK(ncclAllGather(send, recv, count, ncclFloat32, comm_, stream_));
}

void NcclCommunicator::barrier() {
  NCCL_CHECK(
      ncclAllReduce(barrier_scratch_, barrier_scratch_, 1, ncclFloat32, ncclSum, comm_, stream_));
  CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace tpbench
