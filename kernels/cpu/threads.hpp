#pragma once

namespace tpbench::cpu {

// Threads of the OpenMP kernels (OpenBLAS itself is set to one thread: linear() splits GEMMs
// over the OpenMP team). Without OMP_NUM_THREADS in the environment, each of the
// `ranks_on_node` processes takes its share of the cores, so ranks on one node do not
// oversubscribe it.
void set_default_threads(int ranks_on_node);
int kernel_threads();

}  // namespace tpbench::cpu
