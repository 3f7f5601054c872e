// stories260K (converted by scripts/convert_llama2c.py) must reproduce, token for token, the ids
// two independent fp32 reference implementations produce greedily from BOS.
#include <gtest/gtest.h>

#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/golden_greedy.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

class Stories260k : public ::testing::Test {
 protected:
  std::unique_ptr<CpuModelRunner> make_runner() {
    EngineOptions options;
    options.model_dir = test::stories260k_dir();
    return std::make_unique<CpuModelRunner>(options, comm_);
  }
  SingleRankCommunicator comm_;
};

TEST_F(Stories260k, GreedyFromBosMatchesGolden) {
  auto runner = make_runner();
  test::expect_golden_greedy(*runner, {1}, {1}, 16);
}

TEST_F(Stories260k, ChunkedPrefillThenGreedyMatchesGolden) {
  auto runner = make_runner();
  test::expect_golden_greedy(*runner, {151}, {13}, 16);
}

TEST_F(Stories260k, BatchedMixedPrefillAndDecodeMatchGolden) {
  auto runner = make_runner();
  // Block size 5: chunks and blocks do not line up.
  test::expect_golden_greedy(*runner, {1, 40, 100, 7}, {1, 7, 64, 3}, 5);
}

}  // namespace
}  // namespace tpbench
