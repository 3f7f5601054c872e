#pragma once
// Round-to-nearest-even fp32 -> bf16 / fp16 in plain C++ (bit for bit what cuda_bf16.h's and
// cuda_fp16.h's __float2bfloat16_rn / __float2half_rn give, NaN included), and the rounding an
// all-reduce in a 16-bit type applies: the CPU twin of the CUDA backend's NCCL all-reduce in the
// model's dtype.
#include <cstddef>
#include <cstdint>

namespace tpbench {

// The element type an all-reduce sums in.
enum class ReduceType { kFloat32, kFloat16, kBFloat16 };

const char* reduce_type_name(ReduceType type);  // "float32" | "float16" | "bfloat16"

uint16_t float_to_bfloat16_bits(float v);
uint16_t float_to_float16_bits(float v);
float bfloat16_bits_to_float(uint16_t bits);
float float16_bits_to_float(uint16_t bits);

// v as the nearest value of `type` (identity for kFloat32).
float round_to(ReduceType type, float v);
void round_to(ReduceType type, float* data, size_t count);

}  // namespace tpbench
