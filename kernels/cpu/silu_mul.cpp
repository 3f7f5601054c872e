#include "kernels/cpu/silu_mul.hpp"
#include "kernels/cpu/parallel.hpp"

#include <cmath>

namespace tpbench::cpu {

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

}  // namespace tpbench::cpu
