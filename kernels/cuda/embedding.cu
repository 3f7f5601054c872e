#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"
#include "kernels/cuda/embedding.cuh"

namespace tpbench::cuda {
namespace {

template <typename T>
__global__ void embedding_gather_kernel(const T* table, int64_t dim, const int32_t* ids,
                                        float* out) {
  const int64_t t = blockIdx.x;
  const T* row = table + static_cast<int64_t>(ids[t]) * dim;
  float* dst = out + t * dim;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) dst[i] = to_float(row[i]);
}

}  // namespace

template <typename T>
void embedding_gather(const T* table, int64_t dim, const int32_t* ids, int64_t n_tokens, float* out,
                      cudaStream_t stream) {
  if (n_tokens == 0) return;
  embedding_gather_kernel<T>
      <<<static_cast<unsigned>(n_tokens), 256, 0, stream>>>(table, dim, ids, out);
  CUDA_CHECK(cudaGetLastError());
}

#define TPBENCH_INSTANTIATE(T)                                                          \
  template void embedding_gather<T>(const T*, int64_t, const int32_t*, int64_t, float*, \
                                    cudaStream_t);
TPBENCH_INSTANTIATE(float)
TPBENCH_INSTANTIATE(__half)
TPBENCH_INSTANTIATE(__nv_bfloat16)

}  // namespace tpbench::cuda
