#include "coordinator/app/backend_detect.hpp"

#include <mpi.h>

#include "common/mpi_check.hpp"

#if TPBENCH_APP_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace tpbench {
namespace {

bool gpu_visible() {
#if TPBENCH_APP_HAVE_CUDA
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
#else
  return false;  // built without CUDA
#endif
}

}  // namespace

Backend resolve_backend(Backend requested) {
  if (requested != Backend::kAuto) return requested;
  int mine = gpu_visible() ? 1 : 0, all = 0;
  MPI_CHECK(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
  return all ? Backend::kCuda : Backend::kCpu;
}

}  // namespace tpbench
