#include "engine/comm/mpi_communicator.hpp"

#include <climits>

#include "common/mpi_check.hpp"

namespace tpbench {

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm_(comm) {
  MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

void MpiCommunicator::all_reduce_sum(float* data, size_t count) {
  if (size_ == 1) return;
  while (count > 0) {  // MPI counts are int
    int n = static_cast<int>(count > INT_MAX ? INT_MAX : count);
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data, n, MPI_FLOAT, MPI_SUM, comm_));
    data += n;
    count -= n;
  }
}

void MpiCommunicator::broadcast(void* data, size_t bytes, int root) {
  if (size_ == 1) return;
  auto* p = static_cast<char*>(data);
  while (bytes > 0) {
    int n = static_cast<int>(bytes > INT_MAX ? INT_MAX : bytes);
    MPI_CHECK(MPI_Bcast(p, n, MPI_BYTE, root, comm_));
    p += n;
    bytes -= n;
  }
}

void MpiCommunicator::all_gather(const float* send, float* recv, size_t count) {
  if (size_ == 1) {
    for (size_t i = 0; i < count; ++i) recv[i] = send[i];
    return;
  }
  MPI_CHECK(MPI_Allgather(send, static_cast<int>(count), MPI_FLOAT, recv, static_cast<int>(count),
                          MPI_FLOAT, comm_));
}

void MpiCommunicator::barrier() { MPI_CHECK(MPI_Barrier(comm_)); }

}  // namespace tpbench
