#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "common/error.hpp"
#include "engine/scheduler/kv_block_manager.hpp"
#include "engine/scheduler/kv_capacity.hpp"

namespace tpbench {
namespace {

// Every block is in exactly one table or free; the manager's counts agree.
void expect_partition(const KvBlockManager& m, const std::vector<std::vector<int32_t>>& tables) {
  std::vector<int> owners(m.num_blocks(), 0);
  int32_t used = 0;
  for (const auto& t : tables) {
    for (int32_t b : t) {
      ASSERT_GE(b, 0);
      ASSERT_LT(b, m.num_blocks());
      ++owners[b];
      ASSERT_TRUE(m.in_use(b));
      ++used;
    }
  }
  for (int32_t b = 0; b < m.num_blocks(); ++b)
    ASSERT_LE(owners[b], 1) << "block " << b << " shared";
  EXPECT_EQ(used, m.num_used());
  EXPECT_EQ(m.num_used() + m.num_free(), m.num_blocks());
  m.check_invariants();
}

TEST(KvBlockManager, BlocksForRoundsUp) {
  KvBlockManager m(10, 4);
  EXPECT_EQ(m.blocks_for(0), 0);
  EXPECT_EQ(m.blocks_for(1), 1);
  EXPECT_EQ(m.blocks_for(4), 1);
  EXPECT_EQ(m.blocks_for(5), 2);
  std::vector<int32_t> t;
  EXPECT_EQ(m.blocks_missing(t, 9), 3);
  ASSERT_TRUE(m.grow(t, 9));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(m.blocks_missing(t, 12), 0);
  EXPECT_EQ(m.blocks_missing(t, 13), 1);
}

TEST(KvBlockManager, GrowIsAllOrNothing) {
  KvBlockManager m(5, 2);
  std::vector<int32_t> a, b;
  ASSERT_TRUE(m.grow(a, 7));  // 4 blocks
  EXPECT_EQ(m.num_free(), 1);
  EXPECT_FALSE(m.grow(b, 3));  // needs 2
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(m.num_free(), 1);
  EXPECT_FALSE(m.grow(a, 11));  // needs 2 more
  EXPECT_EQ(a.size(), 4u);
  ASSERT_TRUE(m.grow(a, 10));
  EXPECT_EQ(m.num_free(), 0);
  m.release(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(m.num_free(), 5);
  m.check_invariants();
}

TEST(KvBlockManager, DoubleReleaseIsCaught) {
  KvBlockManager m(3, 1);
  std::vector<int32_t> a;
  ASSERT_TRUE(m.grow(a, 2));
  std::vector<int32_t> copy = a;
  m.release(a);
  EXPECT_THROW(m.release(copy), InternalError);
}

// Lowest ids first; a returned block is handed out again before any block never used.
TEST(KvBlockManager, HandsOutLowestIdsAndReusesReturnedBlocksFirst) {
  KvBlockManager m(6, 1);
  std::vector<int32_t> a, b, c;
  ASSERT_TRUE(m.grow(a, 2));
  ASSERT_TRUE(m.grow(b, 2));
  EXPECT_EQ(a, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(b, (std::vector<int32_t>{2, 3}));
  m.release(a);
  ASSERT_TRUE(m.grow(c, 3));
  EXPECT_EQ(c, (std::vector<int32_t>{1, 0, 4}));
  m.check_invariants();
}

// The sim backend's unbounded cache: the largest pool costs memory only for blocks in use.
TEST(KvBlockManager, LargestPoolIsCheapAndCorrect) {
  std::vector<KvBlockManager> pools;
  for (int i = 0; i < 200; ++i) pools.emplace_back(kMaxKvBlocks, 64);  // 200 x 2^24 blocks
  KvBlockManager& m = pools.back();
  std::vector<int32_t> a, b;
  ASSERT_TRUE(m.grow(a, 64 * 1000));
  ASSERT_TRUE(m.grow(b, 1));
  EXPECT_EQ(m.num_used(), 1001);
  EXPECT_EQ(m.num_free(), kMaxKvBlocks - 1001);
  EXPECT_EQ(b.front(), 1000);
  EXPECT_TRUE(m.in_use(999));
  EXPECT_FALSE(m.in_use(1001));
  EXPECT_FALSE(m.in_use(kMaxKvBlocks - 1));
  m.release(a);
  EXPECT_EQ(m.num_free(), kMaxKvBlocks - 1);
  m.check_invariants();
}

TEST(KvBlockManager, RandomAllocFreeKeepsInvariants) {
  for (uint32_t seed = 0; seed < 20; ++seed) {
    std::mt19937 rng(seed);
    const int32_t num_blocks = 1 + static_cast<int32_t>(rng() % 64);
    const int32_t block_size = 1 + static_cast<int32_t>(rng() % 16);
    KvBlockManager m(num_blocks, block_size);
    std::vector<std::vector<int32_t>> tables(8);
    std::vector<int64_t> lengths(8, 0);
    for (int op = 0; op < 2000; ++op) {
      const size_t i = rng() % tables.size();
      if (rng() % 4 == 0) {
        m.release(tables[i]);
        lengths[i] = 0;
      } else {
        const int64_t want = lengths[i] + 1 + static_cast<int64_t>(rng() % (3 * block_size));
        const auto before = tables[i];
        const int64_t missing = m.blocks_missing(tables[i], want);
        const int32_t free_before = m.num_free();
        if (m.grow(tables[i], want)) {
          lengths[i] = want;
          ASSERT_EQ(static_cast<int64_t>(tables[i].size()), m.blocks_for(want));
          ASSERT_EQ(m.num_free(), free_before - missing);
        } else {
          ASSERT_GT(missing, free_before);
          ASSERT_EQ(tables[i], before);
          ASSERT_EQ(m.num_free(), free_before);
        }
      }
      expect_partition(m, tables);
      if (HasFatalFailure()) return;
    }
    for (auto& t : tables) m.release(t);
    EXPECT_EQ(m.num_free(), num_blocks);
    m.check_invariants();
  }
}

}  // namespace
}  // namespace tpbench
