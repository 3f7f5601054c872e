#pragma once
// fp32 <-> element-type copies around the all-reduce in the model's dtype (round to nearest
// even, as host_to_element; CPU twin: round_to in engine/comm/reduce_rounding.hpp).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tpbench::cuda {

// out[i] = T(in[i]) for i < n.
template <typename T>
void float_to_element(const float* in, int64_t n, T* out, cudaStream_t stream);

// out[i] = float(in[i]) for i < n.
template <typename T>
void element_to_float(const T* in, int64_t n, float* out, cudaStream_t stream);

}  // namespace tpbench::cuda
