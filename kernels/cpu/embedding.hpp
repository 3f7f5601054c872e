#pragma once
#include <cstdint>

namespace tpbench::cpu {

// out[t, :] = table[ids[t], :] for t < n_tokens; table is [vocab, dim]. Ids must be in range.
void embedding_gather(const float* table, int64_t dim, const int32_t* ids, int64_t n_tokens,
                      float* out);

}  // namespace tpbench::cpu
