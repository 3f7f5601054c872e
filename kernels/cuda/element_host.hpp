#pragma once
// Host-side fp32 <-> element-type conversions, round-to-nearest-even (what the GPU holds for a
// value). The device-side twins are in element.cuh.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

namespace tpbench {

template <typename T>
T host_to_element(float v) {
  if constexpr (std::is_same_v<T, float>) return v;
  if constexpr (std::is_same_v<T, __half>) return __float2half_rn(v);
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(v);
}

template <typename T>
float host_element_to_float(T v) {
  if constexpr (std::is_same_v<T, float>) return v;
  if constexpr (std::is_same_v<T, __half>) return __half2float(v);
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(v);
}

}  // namespace tpbench
