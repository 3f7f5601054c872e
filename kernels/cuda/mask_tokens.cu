#include <cmath>

#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/mask_tokens.cuh"

namespace tpbench::cuda {
namespace {

__global__ void mask_tokens_kernel(float* logits, int64_t vocab, const MaskedToken* masked, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const MaskedToken m = masked[i];
  logits[int64_t{m.row} * vocab + m.token] = -INFINITY;
}

}  // namespace

void mask_tokens(float* logits, int64_t vocab, const MaskedToken* masked, int n,
                 cudaStream_t stream) {
  if (n <= 0) return;
  const int threads = 128;
  mask_tokens_kernel<<<(n + threads - 1) / threads, threads, 0, stream>>>(logits, vocab, masked, n);
  CUDA_CHECK(cudaGetLastError());
}

}  // namespace tpbench::cuda
