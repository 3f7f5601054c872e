#include "kernels/cuda/device_probe.cuh"

namespace tpbench::cuda {
namespace {

__global__ void probe_kernel(int* out) {
  if (out != nullptr) *out = 1;
}

}  // namespace

cudaError_t probe_kernel_image() {
  cudaFuncAttributes attributes;
  const cudaError_t err = cudaFuncGetAttributes(&attributes, probe_kernel);
  if (err != cudaSuccess) (void)cudaGetLastError();  // clear it: the caller reports it
  return err;
}

}  // namespace tpbench::cuda
