#pragma once
#include <mpi.h>

#include <cstdio>
#include <cstdlib>

// Any MPI failure is fatal for the whole job: print where and which call, then abort the world
// so no rank is left waiting.
#define MPI_CHECK(call)                                                                   \
  do {                                                                                    \
    int mpi_check_rc_ = (call);                                                           \
    if (mpi_check_rc_ != MPI_SUCCESS) {                                                   \
      char mpi_check_msg_[MPI_MAX_ERROR_STRING];                                          \
      int mpi_check_len_ = 0;                                                             \
      MPI_Error_string(mpi_check_rc_, mpi_check_msg_, &mpi_check_len_);                   \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,          \
                   mpi_check_msg_);                                                       \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                       \
    }                                                                                     \
  } while (0)
