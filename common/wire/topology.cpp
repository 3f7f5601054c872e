#include "common/wire/topology.hpp"

#include <string>

#include "common/error.hpp"

namespace tpbench::wire {

int Topology::replica_of(int rank) const {
  if (rank < first_worker_rank || rank >= world_size) return -1;
  return (rank - first_worker_rank) / tp;
}

std::vector<int> Topology::ranks_of(int replica) const {
  std::vector<int> ranks;
  for (int i = 0; i < tp; ++i) ranks.push_back(leader_of(replica) + i);
  return ranks;
}

Topology make_topology(int world_size, int tp, bool coordinator_only_rank) {
  if (tp < 1) {
    throw InputError("--tp " + std::to_string(tp) + ": must be a positive integer (world size " +
                     std::to_string(world_size) + ")");
  }
  Topology t;
  t.world_size = world_size;
  t.tp = tp;
  t.coordinator_only_rank = coordinator_only_rank;
  t.first_worker_rank = coordinator_only_rank ? 1 : 0;
  const int workers = world_size - t.first_worker_rank;
  if (workers < tp || workers % tp != 0) {
    throw InputError("--tp " + std::to_string(tp) + " does not divide " +
                     (coordinator_only_rank
                          ? "the " + std::to_string(workers) + " engine ranks (world size " +
                                std::to_string(world_size) + " with --coordinator-only-rank)"
                          : "the world size " + std::to_string(world_size)));
  }
  t.replicas = workers / tp;
  return t;
}

std::vector<int> split_slots(int concurrency, int replicas) {
  std::vector<int> slots(replicas, 0);
  for (int k = 0; k < replicas; ++k)
    slots[k] = concurrency / replicas + (k < concurrency % replicas ? 1 : 0);
  return slots;
}

std::vector<int> split_open_loop_slots(int max_concurrency, int replicas) {
  if (max_concurrency > 0) return split_slots(max_concurrency, replicas);
  return std::vector<int>(replicas, kOpenLoopDefaultSlots);
}

std::vector<std::vector<uint64_t>> shard_round_robin(uint64_t num_requests,
                                                     const std::vector<int>& slots) {
  std::vector<std::vector<uint64_t>> shards(slots.size());
  std::vector<size_t> active;
  for (size_t k = 0; k < slots.size(); ++k)
    if (slots[k] > 0) active.push_back(k);
  TPBENCH_CHECK(!active.empty() || num_requests == 0, "no replica has a request slot");
  for (uint64_t i = 0; i < num_requests; ++i) shards[active[i % active.size()]].push_back(i);
  return shards;
}

}  // namespace tpbench::wire
