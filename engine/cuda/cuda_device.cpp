#include "engine/cuda/cuda_device.hpp"

#include <cuda_runtime_api.h>

#include <exception>

#include "common/error.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_probe.cuh"

namespace tpbench {
namespace {

// Everything select_gpu can find out alone; throws like select_gpu.
GpuInfo open_gpu(int local_rank) {
  GpuInfo gpu;
  const cudaError_t err = cudaGetDeviceCount(&gpu.count);
  if (err != cudaSuccess || gpu.count == 0) {
    (void)cudaGetLastError();
    throw InputError(std::string("--backend cuda: no CUDA GPU is visible (cudaGetDeviceCount: ") +
                     (err != cudaSuccess ? cudaGetErrorString(err) : "0 devices") +
                     "); use --backend cpu");
  }
  gpu.device = (local_rank < 0 ? 0 : local_rank) % gpu.count;
  CUDA_CHECK(cudaSetDevice(gpu.device));
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, gpu.device));
  gpu.name = prop.name;
  gpu.cc_major = prop.major;
  gpu.cc_minor = prop.minor;
  gpu.total_bytes = static_cast<int64_t>(prop.totalGlobalMem);
  gpu.pci_bus_id = query_gpu_identity(gpu.device).pci_bus_id;
  const cudaError_t probe = cuda::probe_kernel_image();
  if (probe != cudaSuccess)
    throw InputError("--backend cuda: this build has no kernels for GPU " +
                     std::to_string(gpu.device) + " (" + gpu.name + ", compute capability " +
                     std::to_string(gpu.cc_major) + "." + std::to_string(gpu.cc_minor) + ": " +
                     cudaGetErrorString(probe) + "); rebuild with -DCMAKE_CUDA_ARCHITECTURES=" +
                     std::to_string(gpu.cc_major) + std::to_string(gpu.cc_minor));
  return gpu;
}

}  // namespace

GpuInfo select_gpu(int local_rank, const NodeGather& node_gather) {
  GpuInfo gpu;
  std::exception_ptr failure;
  try {
    gpu = open_gpu(local_rank);
  } catch (...) {
    failure = std::current_exception();
  }
  const GpuIdentity mine{gpu.name, gpu.pci_bus_id, gpu.total_bytes};
  if (node_gather) {
    std::vector<std::string> bus_ids;
    for (const std::string& text : node_gather(encode_gpu_identity(mine))) {
      gpu.node_gpus.push_back(decode_gpu_identity(text));
      bus_ids.push_back(gpu.node_gpus.back().pci_bus_id);
    }
    const int me = local_rank < 0 ? 0 : local_rank;
    TPBENCH_CHECK(me < static_cast<int>(bus_ids.size()),
                  "local rank " + std::to_string(me) + " of " + std::to_string(bus_ids.size()) +
                      " node ranks");
    gpu.sharing_ranks = ranks_sharing_gpu(bus_ids)[me];
  } else {
    gpu.node_gpus = {mine};
  }
  if (failure) std::rethrow_exception(failure);
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
