#pragma once
#include <cstdint>

#include "common/engine_options.hpp"
#include "engine/comm/communicator.hpp"
#include "engine/model_runner.hpp"

namespace tpbench {

// Largest block count any rank computes is capped here: block tables stay int32 and the
// TP exchange (floats) stays exact.
inline constexpr int32_t kMaxKvBlocks = 1 << 24;

// KV blocks of the replica: each rank's (kv_cache_bytes, or the runner's budget at
// cache_max_entry_count) / its bytes per block, then the minimum over the replica's ranks.
// Collective over `comm`. Throws InputError when the cache holds no block.
int32_t replica_kv_blocks(const ModelRunner& runner, const EngineOptions& options,
                          Communicator& comm);

}  // namespace tpbench
