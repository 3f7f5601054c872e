#pragma once
// The DType of an element type of the CUDA kernels.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "engine/cuda/dtype.hpp"

namespace tpbench {

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, __half>) return DType::kFloat16;
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return DType::kBFloat16;
  return DType::kFloat32;
}

}  // namespace tpbench
