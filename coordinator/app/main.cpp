// profile_throughput: every rank of the MPI job runs this; roles are decided in run_cluster().
#include <mpi.h>

#include <cstdio>

#include "coordinator/app/cluster_run.hpp"

int main(int argc, char** argv) {
  int provided = 0;
  // The coordinator thread on rank 0 may call MPI_Abort while the main thread is inside MPI.
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  if (provided < MPI_THREAD_MULTIPLE)
    std::fprintf(stderr, "tpbench: warning: MPI gives thread level %d, not MPI_THREAD_MULTIPLE\n",
                 provided);
  int code = tpbench::run_cluster(argc, argv);
  MPI_Finalize();
  return code;
}
