#include <algorithm>

#include "kernels/cuda/convert.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"

namespace tpbench::cuda {
namespace {

constexpr int kThreads = 256;

template <typename From, typename To>
__global__ void convert_kernel(const From* in, int64_t n, To* out) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[i] = from_float<To>(to_float(in[i]));
}

template <typename From, typename To>
void launch_convert(const From* in, int64_t n, To* out, cudaStream_t stream) {
  if (n == 0) return;
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, 65536);
  convert_kernel<From, To><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(in, n, out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace

template <typename T>
void float_to_element(const float* in, int64_t n, T* out, cudaStream_t stream) {
  launch_convert<float, T>(in, n, out, stream);
}

template <typename T>
void element_to_float(const T* in, int64_t n, float* out, cudaStream_t stream) {
  launch_convert<T, float>(in, n, out, stream);
}

#define TPBENCH_INSTANTIATE(T)                                                \
  template void float_to_element<T>(const float*, int64_t, T*, cudaStream_t); \
  template void element_to_float<T>(const T*, int64_t, float*, cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
