#include "engine/comm/reduce_rounding.hpp"

#include <cstring>

namespace tpbench {
namespace {

uint32_t bits_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

float float_of(uint32_t u) {
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

constexpr uint16_t kCanonicalNan = 0x7FFF;  // what CUDA's host conversions return for any NaN

}  // namespace

const char* reduce_type_name(ReduceType type) {
  switch (type) {
    case ReduceType::kFloat32:
      return "float32";
    case ReduceType::kFloat16:
      return "float16";
    case ReduceType::kBFloat16:
      return "bfloat16";
  }
  return "?";
}

uint16_t float_to_bfloat16_bits(float v) {
  const uint32_t u = bits_of(v);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return kCanonicalNan;
  // bf16 is the top half of the float: add just under half an ulp, plus one when the kept part
  // is odd, so exact halves go to the even neighbour. Overflow carries into infinity.
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

uint16_t float_to_float16_bits(float v) {
  const uint32_t u = bits_of(v);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t magnitude = u & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return kCanonicalNan;
  if (magnitude >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // >= 65520: inf
  uint32_t kept, dropped, half;
  if (magnitude >= 0x38800000u) {  // normal in fp16: rebias the exponent, drop 13 mantissa bits
    const uint32_t rebiased = magnitude - 0x38000000u;
    kept = rebiased >> 13;
    dropped = rebiased & 0x1FFFu;
    half = 0x1000u;
  } else if (magnitude <= 0x33000000u) {  // at most 2^-25 (half the smallest subnormal): zero
    return static_cast<uint16_t>(sign);
  } else {                                            // fp16 subnormal: multiples of 2^-24
    const uint32_t shift = 126u - (magnitude >> 23);  // 14..24
    const uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
    kept = mantissa >> shift;
    dropped = mantissa & ((1u << shift) - 1u);
    half = 1u << (shift - 1u);
  }
  if (dropped > half || (dropped == half && (kept & 1u) != 0)) ++kept;  // may carry: still right
  return static_cast<uint16_t>(sign | kept);
}

float bfloat16_bits_to_float(uint16_t bits) {
  return float_of(uint32_t{bits} << 16);
}

float float16_bits_to_float(uint16_t bits) {
  const uint32_t sign = uint32_t{bits & 0x8000u} << 16;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  const uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0x1Fu) return float_of(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return float_of(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  // Subnormal (or zero): mantissa x 2^-24, exact in fp32.
  const float magnitude = static_cast<float>(mantissa) * 0x1.0p-24f;
  return sign != 0 ? -magnitude : magnitude;
}

float round_to(ReduceType type, float v) {
  switch (type) {
    case ReduceType::kFloat32:
      return v;
    case ReduceType::kFloat16:
      return float16_bits_to_float(float_to_float16_bits(v));
    case ReduceType::kBFloat16:
      return bfloat16_bits_to_float(float_to_bfloat16_bits(v));
  }
  return v;
}

void round_to(ReduceType type, float* data, size_t count) {
  if (type == ReduceType::kFloat32) return;
  for (size_t i = 0; i < count; ++i) data[i] = round_to(type, data[i]);
}

}  // namespace tpbench
