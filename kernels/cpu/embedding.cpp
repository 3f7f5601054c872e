#include "kernels/cpu/embedding.hpp"
#include "kernels/cpu/parallel.hpp"

#include <cstring>

namespace tpbench::cpu {

void embedding_gather(const float* table, int64_t dim, const int32_t* ids, int64_t n_tokens,
                      float* out) {
#pragma omp parallel for schedule(static) if (n_tokens * dim >= kParallelMinWork)
  for (int64_t t = 0; t < n_tokens; ++t)
    std::memcpy(out + t * dim, table + int64_t{ids[t]} * dim, dim * sizeof(float));
}

}  // namespace tpbench::cpu
