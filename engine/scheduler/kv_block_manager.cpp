#include "engine/scheduler/kv_block_manager.hpp"

#include <string>

#include "common/error.hpp"

namespace tpbench {

KvBlockManager::KvBlockManager(int32_t num_blocks, int32_t block_size)
    : num_blocks_(num_blocks), block_size_(block_size) {
  TPBENCH_CHECK(num_blocks > 0, "num_blocks " + std::to_string(num_blocks));
  TPBENCH_CHECK(block_size > 0, "block_size " + std::to_string(block_size));
  free_.resize(num_blocks);
  for (int32_t i = 0; i < num_blocks; ++i) free_[i] = num_blocks - 1 - i;
  in_use_.assign(num_blocks, 0);
}

int64_t KvBlockManager::blocks_missing(const std::vector<int32_t>& table, int64_t tokens) const {
  int64_t need = blocks_for(tokens) - static_cast<int64_t>(table.size());
  return need > 0 ? need : 0;
}

bool KvBlockManager::grow(std::vector<int32_t>& table, int64_t tokens) {
  int64_t need = blocks_missing(table, tokens);
  if (need > static_cast<int64_t>(free_.size())) return false;
  for (int64_t i = 0; i < need; ++i) {
    int32_t block = free_.back();
    free_.pop_back();
    in_use_[block] = 1;
    table.push_back(block);
  }
  return true;
}

void KvBlockManager::release(std::vector<int32_t>& table) {
  for (int32_t block : table) {
    TPBENCH_CHECK(block >= 0 && block < num_blocks_ && in_use_[block],
                  "releasing block " + std::to_string(block) + " that is not in use");
    in_use_[block] = 0;
    free_.push_back(block);
  }
  table.clear();
}

void KvBlockManager::check_invariants() const {
  std::vector<uint8_t> seen(num_blocks_, 0);
  for (int32_t block : free_) {
    TPBENCH_CHECK(block >= 0 && block < num_blocks_, "free block id " + std::to_string(block));
    TPBENCH_CHECK(!seen[block], "block " + std::to_string(block) + " twice in the free list");
    TPBENCH_CHECK(!in_use_[block], "block " + std::to_string(block) + " free and in use");
    seen[block] = 1;
  }
  int32_t used = 0;
  for (uint8_t u : in_use_) used += u;
  TPBENCH_CHECK(used + num_free() == num_blocks_, "used " + std::to_string(used) + " + free " +
                                                      std::to_string(num_free()) +
                                                      " != " + std::to_string(num_blocks_));
}

}  // namespace tpbench
