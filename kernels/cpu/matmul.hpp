#pragma once
#include <cstdint>

namespace tpbench::cpu {

// A linear layer over a batch of rows: y[rows, out] = x[rows, in] * w[out, in]^T (+ bias[out]
// when bias is not null). w is row-major in the checkpoint's [out_features, in_features] layout.
// OpenBLAS cblas_sgemm.
void linear(const float* x, int64_t rows, int64_t in, const float* w, int64_t out,
            const float* bias, float* y);

}  // namespace tpbench::cpu
