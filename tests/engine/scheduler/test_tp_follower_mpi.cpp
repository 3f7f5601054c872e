// Run under mpirun -np 2: rank 0 leads a BatchedEngine, rank 1 follows it. Both run a
// FakeModelRunner (which checks every block table against the KV it wrote), and the follower
// must receive and run exactly the plans the leader ran, in order, until shutdown.
#include <gtest/gtest.h>
#include <mpi.h>

#include <random>
#include <vector>

#include "engine/comm/mpi_communicator.hpp"
#include "engine_harness.hpp"

namespace tpbench {
namespace {

using testing::FakeRunnerConfig;

std::vector<uint64_t> digests(const testing::FakeModelRunner& runner) {
  std::vector<uint64_t> out;
  for (const auto& p : runner.plans()) out.push_back(p.digest);
  return out;
}

// Sends rank 0's plan digests to rank 1, which compares them with its own.
void expect_follower_ran_leader_plans(MpiCommunicator& comm,
                                      const testing::FakeModelRunner& runner) {
  std::vector<uint64_t> mine = digests(runner);
  uint64_t n = mine.size();
  std::vector<uint64_t> leader = mine;
  MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  leader.resize(n);
  MPI_Bcast(leader.data(), static_cast<int>(n), MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (comm.rank() == 1) {
    EXPECT_EQ(mine, leader);
  }
}

FakeRunnerConfig rank_config(int rank) {
  FakeRunnerConfig rc;
  rc.bytes_per_block = 1000;
  rc.budget_bytes = rank == 0 ? 100'000 : 37'000;  // the replica gets the smaller: 37 blocks
  rc.produce_logits = rank == 0;
  return rc;
}

EngineOptions tp_options() {
  EngineOptions o;
  o.cache_block_seq_len = 4;
  o.cache_max_entry_count = 1.0;
  o.max_batch_size = 6;
  o.max_prefill_tokens = 16;
  return o;
}

TEST(SchedulerTp, FollowerRunsEveryLeaderPlanUntilShutdown) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  ASSERT_EQ(comm.size(), 2);
  const FakeRunnerConfig rc = rank_config(comm.rank());
  auto h = testing::make_harness(rc, tp_options(), comm);
  EXPECT_EQ(h.runner->allocated_blocks(), 37);
  EXPECT_EQ(h.engine->stats().kv_blocks_total, 37);
  if (comm.rank() == 0) {
    std::mt19937 rng(9);
    auto reqs = testing::random_requests(rng, 30, 40, 30, rc.vocab, 500);
    for (size_t i = 0; i < reqs.size(); i += 3)
      reqs[i].sampling = {.top_k = 6, .top_p = 0.9f, .temperature = 1.0f, .seed = 3};
    auto out = testing::run_to_completion(*h.engine, reqs, {}, 100000);
    EXPECT_GT(h.engine->stats().preemptions, 0);
    for (const auto& r : reqs) {
      ASSERT_EQ(out.tokens[r.id].size(), static_cast<size_t>(r.max_new_tokens));
      if (r.sampling.top_k == 1) {
        EXPECT_EQ(out.tokens[r.id],
                  testing::reference_greedy(r.prompt, r.max_new_tokens, rc.vocab));
      }
    }
    h.engine->shutdown();
    h.engine->shutdown();  // idempotent: no second broadcast
  } else {
    h.engine->run_follower();
    EXPECT_GT(h.runner->plans().size(), 0u);
  }
  expect_follower_ran_leader_plans(comm, *h.runner);
}

TEST(SchedulerTp, DestroyingTheLeaderReleasesTheFollower) {
  MpiCommunicator comm(MPI_COMM_WORLD);
  auto h = testing::make_harness(rank_config(comm.rank()), tp_options(), comm);
  if (comm.rank() == 0) {
    EngineRequest r;
    r.id = 1;
    r.prompt = {1, 2, 3};
    r.max_new_tokens = 2;
    h.engine->add(r);
    while (h.engine->pending() > 0) h.engine->step();
    h.engine.reset();  // no explicit shutdown()
  } else {
    h.engine->run_follower();
    EXPECT_EQ(h.runner->plans().size(), 2u);  // prefill, one decode
  }
}

}  // namespace
}  // namespace tpbench

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  int worst = 0;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
