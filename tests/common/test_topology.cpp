#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <tuple>

#include "common/error.hpp"
#include "common/wire/topology.hpp"

namespace tpbench::wire {
namespace {

TEST(Topology, ReplicasAreConsecutiveRankBlocks) {
  Topology t = make_topology(8, 2, false);
  EXPECT_EQ(t.replicas, 4);
  EXPECT_EQ(t.replica_of(0), 0);
  EXPECT_EQ(t.replica_of(1), 0);
  EXPECT_EQ(t.replica_of(5), 2);
  EXPECT_EQ(t.replica_of(7), 3);
  EXPECT_TRUE(t.is_leader(6));
  EXPECT_FALSE(t.is_leader(7));
  EXPECT_EQ(t.leader_of(3), 6);
  EXPECT_EQ(t.ranks_of(1), (std::vector<int>{2, 3}));
}

TEST(Topology, CoordinatorOnlyRankShiftsReplicas) {
  Topology t = make_topology(5, 2, true);
  EXPECT_EQ(t.replicas, 2);
  EXPECT_EQ(t.replica_of(0), -1);
  EXPECT_FALSE(t.is_leader(0));
  EXPECT_EQ(t.replica_of(1), 0);
  EXPECT_EQ(t.replica_of(4), 1);
  EXPECT_EQ(t.leader_of(1), 3);
  EXPECT_EQ(t.ranks_of(0), (std::vector<int>{1, 2}));
}

TEST(Topology, BadWorldsAreInputErrors) {
  EXPECT_THROW(make_topology(6, 4, false), InputError);
  EXPECT_THROW(make_topology(4, 2, true), InputError);  // 3 worker ranks
  EXPECT_THROW(make_topology(1, 1, true), InputError);  // no worker rank
  EXPECT_THROW(make_topology(2, 0, false), InputError);
}

std::string world_error(int world, int tp, bool coordinator_only) {
  try {
    make_topology(world, tp, coordinator_only);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// The run's only --tp/world check (cluster_run calls it before any work): one line naming the
// flag and the world size.
TEST(Topology, BadWorldMessagesNameTpAndWorldSize) {
  for (auto [world, tp, coordinator_only] :
       {std::tuple{8, 3, false}, std::tuple{1, 2, false}, std::tuple{4, 0, false},
        std::tuple{4, -1, false}, std::tuple{8, 16, false}, std::tuple{8, 2, true},
        std::tuple{1, 1, true}}) {
    const std::string m = world_error(world, tp, coordinator_only);
    SCOPED_TRACE("world " + std::to_string(world) + " tp " + std::to_string(tp));
    EXPECT_NE(m.find("--tp " + std::to_string(tp)), std::string::npos) << m;
    EXPECT_NE(m.find("world size " + std::to_string(world)), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(Topology, AcceptsDivisors) {
  EXPECT_EQ(make_topology(1, 1, false).replicas, 1);
  EXPECT_EQ(make_topology(7, 3, true).replicas, 2);
  EXPECT_EQ(make_topology(8, 8, false).replicas, 1);
}

TEST(SlotSplit, RemainderGoesToTheFirstReplicas) {
  EXPECT_EQ(split_slots(256, 4), (std::vector<int>{64, 64, 64, 64}));
  EXPECT_EQ(split_slots(10, 4), (std::vector<int>{3, 3, 2, 2}));
  EXPECT_EQ(split_slots(2, 3), (std::vector<int>{1, 1, 0}));
  for (int c : {1, 7, 255, 1000}) {
    auto s = split_slots(c, 6);
    EXPECT_EQ(std::accumulate(s.begin(), s.end(), 0), c);
  }
}

TEST(SlotSplit, OpenLoopSplitsMaxConcurrencyLikeConcurrencyElseTheDefaultBatch) {
  EXPECT_EQ(split_open_loop_slots(10, 4), split_slots(10, 4));
  EXPECT_EQ(split_open_loop_slots(2, 3), (std::vector<int>{1, 1, 0}));
  EXPECT_EQ(split_open_loop_slots(0, 3), std::vector<int>(3, kOpenLoopDefaultSlots));
  EXPECT_EQ(kOpenLoopDefaultSlots, 256);
}

TEST(StaticShards, RoundRobinInSampledOrder) {
  auto shards = shard_round_robin(10, {2, 2, 1});
  EXPECT_EQ(shards[0], (std::vector<uint64_t>{0, 3, 6, 9}));
  EXPECT_EQ(shards[1], (std::vector<uint64_t>{1, 4, 7}));
  EXPECT_EQ(shards[2], (std::vector<uint64_t>{2, 5, 8}));
}

TEST(StaticShards, ReplicasWithoutSlotsGetNothingAndEveryRequestOnce) {
  auto shards = shard_round_robin(7, {1, 1, 0});
  EXPECT_TRUE(shards[2].empty());
  std::vector<uint64_t> all;
  for (auto& s : shards) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  std::vector<uint64_t> expect(7);
  std::iota(expect.begin(), expect.end(), 0);
  EXPECT_EQ(all, expect);
}

}  // namespace
}  // namespace tpbench::wire
