#include "coordinator/app/mpi_agreement.hpp"

#include <mpi.h>

#include <climits>
#include <cstdio>

#include "common/mpi_check.hpp"

namespace tpbench {

void print_error_line(const std::string& message) {
  std::fprintf(stderr, "profile_throughput: error: %s\n", message.c_str());
  std::fflush(stderr);
}

int agree_on_status(const WorkerStatus& status) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  int in[2] = {status.code, status.code != 0 ? -rank : INT_MIN};
  int out[2] = {0, 0};
  MPI_CHECK(MPI_Allreduce(in, out, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
  if (out[0] != 0 && status.code != 0 && -out[1] == rank) print_error_line(status.message);
  return out[0];
}

}  // namespace tpbench
