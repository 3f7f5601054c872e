// Under mpirun -np N (1 and 2): each InternLM-family tiny checkpoint (test_models.hpp), split
// over the N ranks, decodes greedily the same ids as tests/engine/cpu/reference_internlm.py, a
// float64 numpy forward written from each family's published modeling code, and the logits
// behind each id agree within 1e-4 relative. The prompt goes in prefill chunks of 5, then one
// token a step through the paged KV cache.
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

// Greedy ids of `runner` from kPrompt; `step_logits` gets the logits behind each.
std::vector<int32_t> runner_greedy(CpuModelRunner& runner, std::vector<float>& step_logits) {
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
    runner.forward_logits(plan, logits);
    if (!plan.seqs[0].want_logits) continue;
    EXPECT_EQ(logits.size(), static_cast<size_t>(runner.vocab_size()));
    generated.push_back(test::argmax(logits.data(), runner.vocab_size()));
    step_logits.insert(step_logits.end(), logits.begin(), logits.end());
    seq.tokens.push_back(generated.back());
  }
  return generated;
}

class FamilyGreedy : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(FamilyGreedy, MatchesFloat64ReferenceTokenForToken) {
  if (!TPBENCH_PYTHON_HAS_NUMPY) GTEST_SKIP() << TPBENCH_PYTHON << " has no numpy";
  MpiCommunicator world(MPI_COMM_WORLD);
  const std::string dir = test::tiny_model_dir(GetParam().first, GetParam().second);
  EngineOptions options;
  options.max_batch_size = 8;  // the runner reserves its step for this many sequences
  options.model_dir = dir;
  options.local_size = world.size();
  CpuModelRunner runner(options, world);
  const int64_t vocab = runner.vocab_size();
  // Rank 0 runs the reference and shares it.
  test::ReferenceGreedy want;
  if (world.rank() == 0) want = test::reference_internlm_greedy(dir, kPrompt, kNewTokens);
  want.ids.resize(kNewTokens, -1);
  want.logits.resize(kNewTokens * vocab);
  MPI_Bcast(want.ids.data(), kNewTokens, MPI_INT32_T, 0, MPI_COMM_WORLD);
  MPI_Bcast(want.logits.data(), static_cast<int>(want.logits.size()), MPI_FLOAT, 0, MPI_COMM_WORLD);
  std::vector<float> got_logits;
  EXPECT_EQ(runner_greedy(runner, got_logits), want.ids) << dir << " at tp " << world.size();
  ASSERT_EQ(got_logits.size(), want.logits.size());
  for (int i = 0; i < kNewTokens; ++i)
    EXPECT_LT(
        test::relative_error(got_logits.data() + i * vocab, want.logits.data() + i * vocab, vocab),
        1e-4)
        << dir << " at tp " << world.size() << ", generated token " << i;
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyGreedy, ::testing::ValuesIn(test::family_model_variants()),
                         test::FirstAsTestName());

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
