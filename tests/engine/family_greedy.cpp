// Under mpirun -np N (1 and 2): each InternLM-family tiny checkpoint (test_models.hpp), split
// over the N ranks, decodes greedily the same ids as tests/engine/reference_internlm.py, a
// float64 numpy forward written from each family's published modeling code. The prompt goes in
// prefill chunks of 5, then one token a step through the paged KV cache.
#include <gtest/gtest.h>
#include <mpi.h>

#include "engine/comm/mpi_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/scenario.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

constexpr int kNewTokens = 12;
const std::vector<int32_t> kPrompt = {1, 17, 93, 5, 0, 127, 64, 64, 3, 88, 41, 12, 7};

std::vector<int32_t> runner_greedy(CpuModelRunner& runner) {
  runner.allocate_kv(16, 4);
  test::BlockAllocator blocks(16, 4);
  test::TestSequence seq;
  seq.tokens = kPrompt;
  std::vector<int32_t> generated;
  std::vector<float> logits;
  while (static_cast<int>(generated.size()) < kNewTokens) {
    const int32_t fed = static_cast<int32_t>(seq.tokens.size());
    const int32_t n = std::min(5, fed - seq.cached);
    StepPlan plan;
    plan.seqs.push_back(blocks.next_chunk(seq, n, seq.cached + n == fed));
    runner.forward(plan, logits);
    if (!plan.seqs[0].want_logits) continue;
    EXPECT_EQ(logits.size(), static_cast<size_t>(runner.vocab_size()));
    generated.push_back(test::argmax(logits.data(), runner.vocab_size()));
    seq.tokens.push_back(generated.back());
  }
  return generated;
}

class FamilyGreedy : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(FamilyGreedy, MatchesFloat64ReferenceTokenForToken) {
  if (!TPBENCH_PYTHON_HAS_NUMPY) GTEST_SKIP() << TPBENCH_PYTHON << " has no numpy";
  MpiCommunicator world(MPI_COMM_WORLD);
  const std::string dir = test::tiny_model_dir(GetParam().first, GetParam().second);
  // Rank 0 runs the reference and shares its ids.
  std::vector<int32_t> want(kNewTokens, -1);
  if (world.rank() == 0) {
    const std::vector<int32_t> ids = test::reference_internlm_greedy(dir, kPrompt, kNewTokens);
    std::copy_n(ids.begin(), std::min<size_t>(ids.size(), kNewTokens), want.begin());
  }
  MPI_Bcast(want.data(), kNewTokens, MPI_INT32_T, 0, MPI_COMM_WORLD);
  EngineOptions options;
  options.model_dir = dir;
  options.local_size = world.size();
  CpuModelRunner runner(options, world);
  EXPECT_EQ(runner_greedy(runner), want) << dir << " at tp " << world.size();
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyGreedy, ::testing::ValuesIn(test::family_model_variants()),
                         [](const auto& info) {
                           std::string name = info.param.first;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace tpbench

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)  // made once, before the other ranks read them
    for (const auto& [name, args] : tpbench::test::family_model_variants())
      tpbench::test::tiny_model_dir(name, args);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank != 0)
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
