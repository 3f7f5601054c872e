#pragma once
// Whether this build's kernels can run on the current device (they are built for the
// CMAKE_CUDA_ARCHITECTURES only, sm_90 by default).
#include <cuda_runtime_api.h>

namespace tpbench::cuda {

// cudaSuccess when a kernel image for the current device is present; otherwise the error
// (typically cudaErrorNoKernelImageForDevice).
cudaError_t probe_kernel_image();

}  // namespace tpbench::cuda
