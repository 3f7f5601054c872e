// The two merge algorithms (short words: quadratic scan; long words: heap) agree, and
// follow BPE's order: lowest rank first, leftmost on ties.
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/pair_table.hpp"

namespace tpbench::tok {
namespace {

TEST(BpeMerge, LowestRankFirstLeftmostOnTies) {
  // Tokens: 0 a, 1 b, 2 ab, 3 ba, 5 abab
  PairTable pairs;
  pairs.insert(1, 0, 0, 3);                 // b a  -> ba  (rank 0)
  pairs.insert(0, 1, 1, 2);                 // a b  -> ab  (rank 1)
  pairs.insert(2, 2, 2, 5);                 // ab ab -> abab
  std::vector<int32_t> ids = {0, 1, 0, 1};  // a b a b: "b a" merges first
  bpe_merge_quadratic(ids, pairs);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 3, 1}));
  ids = {0, 1, 1, 0, 1};  // a b b a b: "b a" first -> a b ba b -> ab ba b
  bpe_merge_heap(ids, pairs);
  EXPECT_EQ(ids, (std::vector<int32_t>{2, 3, 1}));
  ids = {0, 1, 0, 1};
  PairTable only_ab;
  only_ab.insert(0, 1, 0, 2);
  only_ab.insert(2, 2, 1, 5);
  bpe_merge_heap(ids, only_ab);  // ab ab -> abab
  EXPECT_EQ(ids, (std::vector<int32_t>{5}));
}

TEST(BpeMerge, HeapAndQuadraticAgreeOnRandomInput) {
  std::mt19937 rng(42);
  constexpr int32_t kBase = 6;
  PairTable pairs;
  int32_t next_id = kBase;
  for (int rank = 0; rank < 60; ++rank) {
    const int32_t l = static_cast<int32_t>(rng() % static_cast<uint32_t>(next_id));
    const int32_t r = static_cast<int32_t>(rng() % static_cast<uint32_t>(next_id));
    pairs.insert(l, r, rank, next_id++);
  }
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<int32_t> ids(1 + rng() % 400);
    for (auto& id : ids) id = static_cast<int32_t>(rng() % kBase);
    auto a = ids, b = ids;
    bpe_merge_quadratic(a, pairs);
    bpe_merge_heap(b, pairs);
    ASSERT_EQ(a, b) << "trial " << trial;
  }
}

TEST(PairTable, FindsWhatWasInsertedAndKeepsFirstRank) {
  PairTable pairs;
  for (int32_t i = 0; i < 5000; ++i) pairs.insert(i, i * 7 + 1, i, i + 100000);
  pairs.insert(3, 22, 999, 1);  // already there: ignored
  for (int32_t i = 0; i < 5000; ++i) {
    const PairMerge* m = pairs.find(i, i * 7 + 1);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->rank, i);
    EXPECT_EQ(m->merged, i + 100000);
  }
  EXPECT_EQ(pairs.find(1, 1), nullptr);
  EXPECT_EQ(pairs.size(), 5000u);
}

}  // namespace
}  // namespace tpbench::tok
