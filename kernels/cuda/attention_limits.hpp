#pragma once
// The largest head size the CUDA attention kernels take: decode_attention gives each thread
// kMaxHeadDim / kThreads dims in registers, prefill_attention sizes its shared-memory tiles by it.
// CudaModelRunner rejects a model with a larger head_dim before loading it.

namespace tpbench::cuda {

inline constexpr int kMaxHeadDim = 256;

}  // namespace tpbench::cuda
