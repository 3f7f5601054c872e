#include "engine/scheduler/kv_block_manager.hpp"

#include <string>

#include "common/error.hpp"

namespace tpbench {

KvBlockManager::KvBlockManager(int32_t num_blocks, int32_t block_size)
    : num_blocks_(num_blocks), block_size_(block_size) {
  TPBENCH_CHECK(num_blocks > 0, "num_blocks " + std::to_string(num_blocks));
  TPBENCH_CHECK(block_size > 0, "block_size " + std::to_string(block_size));
}

int64_t KvBlockManager::blocks_missing(const std::vector<int32_t>& table, int64_t tokens) const {
  int64_t need = blocks_for(tokens) - static_cast<int64_t>(table.size());
  return need > 0 ? need : 0;
}

bool KvBlockManager::grow(std::vector<int32_t>& table, int64_t tokens) {
  int64_t need = blocks_missing(table, tokens);
  if (need > num_free()) return false;
  for (int64_t i = 0; i < need; ++i) {
    int32_t block;
    if (!free_.empty()) {
      block = free_.back();
      free_.pop_back();
    } else {
      block = fresh_++;
      in_use_.push_back(0);
    }
    in_use_[block] = 1;
    table.push_back(block);
  }
  num_used_ += static_cast<int32_t>(need);
  return true;
}

void KvBlockManager::release(std::vector<int32_t>& table) {
  for (int32_t block : table) {
    TPBENCH_CHECK(in_use(block),
                  "releasing block " + std::to_string(block) + " that is not in use");
    in_use_[block] = 0;
    free_.push_back(block);
  }
  num_used_ -= static_cast<int32_t>(table.size());
  table.clear();
}

void KvBlockManager::check_invariants() const {
  TPBENCH_CHECK(
      fresh_ >= 0 && fresh_ <= num_blocks_ && in_use_.size() == static_cast<size_t>(fresh_),
      "fresh " + std::to_string(fresh_) + " of " + std::to_string(num_blocks_) + " blocks with " +
          std::to_string(in_use_.size()) + " in-use marks");
  std::vector<uint8_t> seen(static_cast<size_t>(fresh_), 0);
  for (int32_t block : free_) {
    TPBENCH_CHECK(block >= 0 && block < fresh_, "free block id " + std::to_string(block));
    TPBENCH_CHECK(!seen[block], "block " + std::to_string(block) + " twice in the free list");
    TPBENCH_CHECK(!in_use_[block], "block " + std::to_string(block) + " free and in use");
    seen[block] = 1;
  }
  int32_t used = 0;
  for (uint8_t u : in_use_) used += u;
  TPBENCH_CHECK(
      used == num_used_ &&
          used + static_cast<int32_t>(free_.size()) + (num_blocks_ - fresh_) == num_blocks_,
      "used " + std::to_string(used) + " (counted " + std::to_string(num_used_) + ") + returned " +
          std::to_string(free_.size()) + " + never used " + std::to_string(num_blocks_ - fresh_) +
          " != " + std::to_string(num_blocks_));
}

}  // namespace tpbench
