#pragma once
// Open-addressing map from an adjacent token pair (left id, right id) to the merge it makes:
// its rank (lower merges first) and the merged token id. The hot lookup of every BPE path.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tpbench::tok {

struct PairMerge {
  int32_t rank;
  int32_t merged;
};

class PairTable {
 public:
  void reserve(size_t pairs);
  // Keeps the existing entry when the pair is already there (the first listed merge wins).
  void insert(int32_t left, int32_t right, int32_t rank, int32_t merged);
  const PairMerge* find(int32_t left, int32_t right) const {
    if (size_ == 0) return nullptr;
    const uint64_t key = pack(left, right);
    for (size_t slot = hash(key);; slot = (slot + 1) & mask_) {
      if (keys_[slot] == key) return &values_[slot];
      if (keys_[slot] == kEmpty) return nullptr;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t pack(int32_t l, int32_t r) {
    return (uint64_t{static_cast<uint32_t>(l)} << 32) | static_cast<uint32_t>(r);
  }
  size_t hash(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }
  void grow();

  std::vector<uint64_t> keys_;
  std::vector<PairMerge> values_;
  size_t size_ = 0;
  size_t mask_ = 0;
  int shift_ = 64;
};

// Applies BPE merges to `ids` in place: repeatedly merges the adjacent pair with the lowest
// rank, the leftmost one on ties (tiktoken's and HF tokenizers' order).
void bpe_merge(std::vector<int32_t>& ids, const PairTable& pairs);

// The two algorithms bpe_merge picks between by length; exposed so tests can compare them.
void bpe_merge_quadratic(std::vector<int32_t>& ids, const PairTable& pairs);
void bpe_merge_heap(std::vector<int32_t>& ids, const PairTable& pairs);

}  // namespace tpbench::tok
