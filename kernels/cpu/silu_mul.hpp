#pragma once
#include <cstdint>

namespace tpbench::cpu {

// SwiGLU: out[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + exp(-x)). out may alias gate.
void silu_mul(const float* gate, const float* up, int64_t n, float* out);

}  // namespace tpbench::cpu
