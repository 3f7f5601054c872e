#include "kernels/cpu/threads.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace tpbench::cpu {

void set_default_threads(int ranks_on_node) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int share = std::max(1, cores / std::max(1, ranks_on_node));
  if (std::getenv("OMP_NUM_THREADS") == nullptr) omp_set_num_threads(share);
  openblas_set_num_threads(1);  // linear() parallelises its GEMMs over the OpenMP team
}

int kernel_threads() {
  return omp_get_max_threads();
}

}  // namespace tpbench::cpu
