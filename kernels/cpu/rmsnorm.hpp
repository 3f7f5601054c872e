#pragma once
#include <cstdint>

namespace tpbench::cpu {

// out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight, for each of `rows` rows of `dim`.
// out may alias x.
void rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, float* out);

// The residual step fused with the next norm: residual += delta, then
// out = rmsnorm(residual). out may alias delta.
void add_rmsnorm(float* residual, const float* delta, const float* weight, int64_t rows,
                 int64_t dim, float eps, float* out);

}  // namespace tpbench::cpu
