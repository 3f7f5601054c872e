#pragma once
// Who is who in a run (docs/ARCHITECTURE.md "Roles"): which ranks form which replica, who
// leads it, and how the concurrency is split. Pure arithmetic, shared by coordinator and workers.
#include <cstdint>
#include <vector>

namespace tpbench::wire {

struct Topology {
  int world_size = 1;
  int tp = 1;
  bool coordinator_only_rank = false;  // rank 0 runs no engine
  int first_worker_rank = 0;           // 1 with coordinator_only_rank, else 0
  int replicas = 1;

  // Replica of a world rank; -1 for the coordinator-only rank 0.
  int replica_of(int rank) const;
  int leader_of(int replica) const { return first_worker_rank + replica * tp; }
  bool is_leader(int rank) const {
    return replica_of(rank) >= 0 && (rank - first_worker_rank) % tp == 0;
  }
  std::vector<int> ranks_of(int replica) const;
};

// The run's one --tp/world check: throws InputError (one line naming --tp and the world size)
// when tp < 1, or tp does not divide the engine ranks or leaves no replica.
Topology make_topology(int world_size, int tp, bool coordinator_only_rank);

// --concurrency split over replicas: the first (concurrency % replicas) get one more slot.
std::vector<int> split_slots(int concurrency, int replicas);

// An open-loop replica's engine batch when neither --max-batch-size nor --max-concurrency is
// given: the --concurrency default, so one replica batches as a default closed-loop run does.
inline constexpr int kOpenLoopDefaultSlots = 256;

// Open loop (requests carry scheduled times): --max-concurrency split as split_slots splits -c;
// 0 (unset): kOpenLoopDefaultSlots on every replica, which then bound only its engine batch.
std::vector<int> split_open_loop_slots(int max_concurrency, int replicas);

// Static dispatch: request i (sampled order) goes to the replicas that have slots, round-robin.
// Returns, per replica, the request indices in sampled order.
std::vector<std::vector<uint64_t>> shard_round_robin(uint64_t num_requests,
                                                     const std::vector<int>& slots);

}  // namespace tpbench::wire
