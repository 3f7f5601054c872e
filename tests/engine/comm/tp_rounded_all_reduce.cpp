// Under mpirun -np N: RoundingCommunicator over MPI sums round(partial) of every rank in fp32
// and rounds the sum (for two ranks exactly NCCL's sum in bf16 / fp16), and stories260K split
// over the N ranks with that all-reduce still reproduces the golden greedy ids.
#include <gtest/gtest.h>
#include <mpi.h>

#include "engine/comm/mpi_communicator.hpp"
#include "engine/comm/reduce_rounding.hpp"
#include "engine/comm/rounding_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/golden_greedy.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

float partial(int rank, int i) {
  return (1.0f + 0x1.1p-8f * (i + 1)) * (rank + 1) * (i % 2 ? -1 : 1);
}

TEST(TpRoundedAllReduce, SumOfRoundedPartialsIsRounded) {
  MpiCommunicator world(MPI_COMM_WORLD);
  for (ReduceType type : {ReduceType::kBFloat16, ReduceType::kFloat16}) {
    RoundingCommunicator comm(world, type);
    std::vector<float> data(64);
    for (int i = 0; i < 64; ++i) data[i] = partial(world.rank(), i);
    comm.all_reduce_sum(data.data(), data.size());
    for (int i = 0; i < 64; ++i) {
      float sum = 0;
      for (int r = 0; r < world.size(); ++r) sum += round_to(type, partial(r, i));
      ASSERT_EQ(data[i], round_to(type, sum)) << reduce_type_name(type) << " element " << i;
    }
  }
}

TEST(TpRoundedAllReduce, Stories260kBf16GreedyMatchesGolden) {
  MpiCommunicator world(MPI_COMM_WORLD);
  RoundingCommunicator comm(world, ReduceType::kBFloat16);
  EngineOptions options;
  options.max_batch_size = 8;  // the runner reserves its step for this many sequences
  options.model_dir = test::stories260k_dir();
  CpuModelRunner runner(options, comm);
  test::expect_golden_greedy(runner, {1, 40}, {1, 7}, 16);
}

}  // namespace
}  // namespace tpbench

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) tpbench::test::stories260k_dir();  // made once, before the others read it
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
