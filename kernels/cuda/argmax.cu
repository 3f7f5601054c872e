#include <climits>

#include "kernels/cuda/argmax.cuh"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/element.cuh"

namespace tpbench::cuda {
namespace {

constexpr int kThreads = 256;

// (value, index) a beats b: larger value, or the same value at a lower index.
__device__ __forceinline__ bool beats(float av, int ai, float bv, int bi) {
  return av > bv || (av == bv && ai < bi);
}

__global__ void argmax_kernel(const float* logits, int64_t vocab, int32_t* out) {
  __shared__ float values[kThreads / 32];
  __shared__ int indices[kThreads / 32];
  const float* row = logits + blockIdx.x * vocab;
  float best = -INFINITY;
  int best_i = INT_MAX;
  for (int64_t i = threadIdx.x; i < vocab; i += blockDim.x) {
    const float v = row[i];
    // Only values above -inf compete (NaN compares false): a row of nothing else gives 0, as
    // the host's argmax_token does.
    if (v > -INFINITY && beats(v, static_cast<int>(i), best, best_i)) {
      best = v;
      best_i = static_cast<int>(i);
    }
  }
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float v = __shfl_xor_sync(0xffffffffu, best, offset);
    const int i = __shfl_xor_sync(0xffffffffu, best_i, offset);
    if (beats(v, i, best, best_i)) {
      best = v;
      best_i = i;
    }
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) {
    values[warp] = best;
    indices[warp] = best_i;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; ++w)
      if (beats(values[w], indices[w], best, best_i)) {
        best = values[w];
        best_i = indices[w];
      }
    out[blockIdx.x] = best_i == INT_MAX ? 0 : best_i;
  }
}

}  // namespace

void argmax_rows(const float* logits, int64_t rows, int64_t vocab, int32_t* out,
                 cudaStream_t stream) {
  if (rows == 0) return;
  argmax_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(logits, vocab, out);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace tpbench::cuda
