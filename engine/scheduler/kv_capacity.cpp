#include "engine/scheduler/kv_capacity.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace tpbench {

int32_t replica_kv_blocks(const ModelRunner& runner, const EngineOptions& options,
                          Communicator& comm) {
  const KvLayout layout = runner.kv_layout(options.cache_block_seq_len);
  TPBENCH_CHECK(layout.bytes_per_block > 0,
                "bytes_per_block " + std::to_string(layout.bytes_per_block));
  const int64_t bytes = options.kv_cache_bytes > 0
                            ? options.kv_cache_bytes
                            : runner.kv_budget_bytes(options.cache_max_entry_count);
  const int64_t local = std::clamp<int64_t>(bytes / layout.bytes_per_block, 0, kMaxKvBlocks);

  // Integers up to 2^24 are exact in a float.
  const float mine = static_cast<float>(local);
  std::vector<float> all(static_cast<size_t>(comm.size()));
  comm.all_gather(&mine, all.data(), 1);
  const int32_t blocks = static_cast<int32_t>(*std::min_element(all.begin(), all.end()));
  if (blocks < 1)
    throw InputError(
        "KV cache: " + std::to_string(bytes) + " bytes on this rank (" +
        (options.kv_cache_bytes > 0
             ? std::string("--kv-cache-bytes")
             : "--cache-max-entry-count " + std::to_string(options.cache_max_entry_count)) +
        ") hold " + std::to_string(blocks) + " blocks of " +
        std::to_string(options.cache_block_seq_len) + " tokens (" +
        std::to_string(layout.bytes_per_block) + " bytes each, minimum over the replica's ranks)");
  return blocks;
}

}  // namespace tpbench
