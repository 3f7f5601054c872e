#pragma once
// Paged KV cache bookkeeping: a fixed pool of blocks of block_size tokens each. A sequence's
// block table is a list of block ids owned by that sequence; the manager hands blocks out of
// its free list and takes them back. It never shares a block between two tables. Blocks never
// handed out cost nothing: the free list holds only returned blocks, so a pool as large as
// kMaxKvBlocks (the sim backend's unbounded cache) is as cheap as a small one.
#include <cstdint>
#include <vector>

namespace tpbench {

class KvBlockManager {
 public:
  KvBlockManager(int32_t num_blocks, int32_t block_size);

  int32_t num_blocks() const { return num_blocks_; }
  int32_t block_size() const { return block_size_; }
  int32_t num_free() const { return num_blocks_ - num_used_; }
  int32_t num_used() const { return num_used_; }

  // Blocks needed to hold `tokens` tokens.
  int64_t blocks_for(int64_t tokens) const { return (tokens + block_size_ - 1) / block_size_; }

  // Extra blocks `table` needs to cover `tokens` tokens (0 when it already does).
  int64_t blocks_missing(const std::vector<int32_t>& table, int64_t tokens) const;

  // Grows `table` so it covers `tokens` tokens. All or nothing: returns false and leaves
  // `table` unchanged when the free list is too short.
  bool grow(std::vector<int32_t>& table, int64_t tokens);

  // Returns every block of `table` to the free list and clears it.
  void release(std::vector<int32_t>& table);

  bool in_use(int32_t block) const { return block >= 0 && block < fresh_ && in_use_[block] != 0; }

  // Throws InternalError when the free list and the in-use marks disagree.
  void check_invariants() const;

 private:
  int32_t num_blocks_;
  int32_t block_size_;
  int32_t num_used_ = 0;
  int32_t fresh_ = 0;            // blocks [fresh_, num_blocks_) have never been handed out
  std::vector<int32_t> free_;    // returned blocks, a stack: handed out before fresh ones
  std::vector<uint8_t> in_use_;  // per block below fresh_
};

}  // namespace tpbench
