#include "engine/cuda/cuda_device.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>

#include "common/error.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_probe.cuh"

namespace tpbench {

int ranks_on_device(int local_size, int device_count, int device) {
  int n = 0;
  for (int r = 0; r < local_size; ++r) n += r % device_count == device;
  return std::max(n, 1);
}

GpuInfo select_gpu(int local_rank, int local_size) {
  GpuInfo gpu;
  const cudaError_t err = cudaGetDeviceCount(&gpu.count);
  if (err != cudaSuccess || gpu.count == 0) {
    (void)cudaGetLastError();
    throw InputError(std::string("--backend cuda: no CUDA GPU is visible (cudaGetDeviceCount: ") +
                     (err != cudaSuccess ? cudaGetErrorString(err) : "0 devices") +
                     "); use --backend cpu");
  }
  gpu.device = (local_rank < 0 ? 0 : local_rank) % gpu.count;
  gpu.sharing_ranks = ranks_on_device(local_size, gpu.count, gpu.device);
  CUDA_CHECK(cudaSetDevice(gpu.device));
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, gpu.device));
  gpu.name = prop.name;
  gpu.cc_major = prop.major;
  gpu.cc_minor = prop.minor;
  gpu.total_bytes = static_cast<int64_t>(prop.totalGlobalMem);
  const cudaError_t probe = cuda::probe_kernel_image();
  if (probe != cudaSuccess)
    throw InputError("--backend cuda: this build has no kernels for GPU " +
                     std::to_string(gpu.device) + " (" + gpu.name + ", compute capability " +
                     std::to_string(gpu.cc_major) + "." + std::to_string(gpu.cc_minor) + ": " +
                     cudaGetErrorString(probe) + "); rebuild with -DCMAKE_CUDA_ARCHITECTURES=" +
                     std::to_string(gpu.cc_major) + std::to_string(gpu.cc_minor));
  return gpu;
}

void check_dtype_supported(DType dtype, const GpuInfo& gpu) {
  if (dtype == DType::kBFloat16 && gpu.cc_major < 8)
    throw InputError("--dtype bfloat16: GPU " + std::to_string(gpu.device) + " (" + gpu.name +
                     ", compute capability " + std::to_string(gpu.cc_major) + "." +
                     std::to_string(gpu.cc_minor) +
                     ") has no bfloat16 arithmetic (needs 8.0+); use --dtype float16");
}

}  // namespace tpbench
