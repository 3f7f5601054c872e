#pragma once
// Picking this rank's GPU and checking that it can run the build's kernels in the chosen dtype.
#include <cstdint>
#include <string>

#include "engine/cuda/dtype.hpp"

namespace tpbench {

struct GpuInfo {
  int device = 0;
  int count = 0;          // devices visible to this process
  int sharing_ranks = 1;  // engine ranks of this node on this device (local_rank % count)
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int64_t total_bytes = 0;
};

// How many of a node's local_size engine ranks get `device` of device_count (rank r gets
// r % device_count); at least 1.
int ranks_on_device(int local_size, int device_count, int device);

// cudaSetDevice(local_rank % visible devices), of local_size engine ranks on the node. Throws
// InputError when no GPU is visible or the build has no kernels for it.
GpuInfo select_gpu(int local_rank, int local_size = 1);

// Throws InputError naming --dtype when the GPU cannot compute in `dtype` (bf16 needs sm_80+).
void check_dtype_supported(DType dtype, const GpuInfo& gpu);

}  // namespace tpbench
