// The CPU twin of the CUDA backend's all-reduce in the model's dtype: the fp32 -> bf16 / fp16
// conversion rounds to nearest even (ties, subnormals, overflow, NaN), RoundingCommunicator
// rounds before and after the sum, and stories260K on the CPU runner with that rounding still
// reproduces the golden greedy ids (TP 1 here; TP 2 under mpirun in tp_rounded_all_reduce).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/comm/reduce_rounding.hpp"
#include "engine/comm/rounding_communicator.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/golden_greedy.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

TEST(ReduceRounding, Bfloat16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bfloat16_bits(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bfloat16_bits(1.0f + 0x1.0p-8f), 0x3F80);  // tie -> even (down)
  EXPECT_EQ(float_to_bfloat16_bits(1.0f + 0x1.8p-7f), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(float_to_bfloat16_bits(1.0f + 0x1.1p-8f), 0x3F81);  // above the tie
  EXPECT_EQ(float_to_bfloat16_bits(-2.0f), 0xC000);
  EXPECT_EQ(float_to_bfloat16_bits(0x1.fffffep127f), 0x7F80);  // rounds up into infinity
  EXPECT_EQ(float_to_bfloat16_bits(0x1p-133f), 0x0001);        // subnormals keep their bits
  EXPECT_EQ(float_to_bfloat16_bits(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(float_to_bfloat16_bits(std::nanf("")), 0x7FFF);
  EXPECT_EQ(bfloat16_bits_to_float(0x4049), 3.140625f);
}

TEST(ReduceRounding, Float16RoundsToNearestEven) {
  EXPECT_EQ(float_to_float16_bits(1.0f), 0x3C00);
  EXPECT_EQ(float_to_float16_bits(1.0f + 0x1.0p-11f), 0x3C00);  // tie -> even (down)
  EXPECT_EQ(float_to_float16_bits(1.0f + 0x1.8p-10f), 0x3C02);  // tie -> even (up)
  EXPECT_EQ(float_to_float16_bits(1.0f + 0x1.1p-11f), 0x3C01);
  EXPECT_EQ(float_to_float16_bits(-2.0f), 0xC000);
  EXPECT_EQ(float_to_float16_bits(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_float16_bits(65519.0f), 0x7BFF);  // below the midpoint to 65536
  EXPECT_EQ(float_to_float16_bits(65520.0f), 0x7C00);  // the midpoint rounds (even) to inf
  EXPECT_EQ(float_to_float16_bits(0x1p-24f), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_float16_bits(0x1p-25f), 0x0000);  // half of it: tie -> even (zero)
  EXPECT_EQ(float_to_float16_bits(0x1.8p-25f), 0x0001);
  EXPECT_EQ(float_to_float16_bits(0x1.8p-24f), 0x0002);    // 1.5 subnormal units: tie -> even
  EXPECT_EQ(float_to_float16_bits(0x1.ffcp-15f), 0x0400);  // tie carries into the smallest normal
  EXPECT_EQ(float_to_float16_bits(-0.0f), 0x8000);
  EXPECT_EQ(float_to_float16_bits(std::nanf("")), 0x7FFF);
  for (uint32_t bits = 0; bits < 0x7C00; ++bits)  // every finite half comes back unchanged
    ASSERT_EQ(float_to_float16_bits(float16_bits_to_float(static_cast<uint16_t>(bits))), bits);
}

TEST(ReduceRounding, CommunicatorRoundsThePartialsAndTheSum) {
  SingleRankCommunicator single;
  RoundingCommunicator bf16(single, ReduceType::kBFloat16), fp32(single, ReduceType::kFloat32);
  float values[2] = {1.0f + 0x1.1p-8f, 3.0f};
  bf16.all_reduce_sum(values, 2);
  EXPECT_EQ(values[0], 1.0f + 0x1p-7f);
  EXPECT_EQ(values[1], 3.0f);
  float exact = 1.0f + 0x1.1p-8f;
  fp32.all_reduce_sum(&exact, 1);
  EXPECT_EQ(exact, 1.0f + 0x1.1p-8f);
}

class RoundedStories260k : public ::testing::TestWithParam<ReduceType> {};

TEST_P(RoundedStories260k, GreedyFromBosMatchesGolden) {
  SingleRankCommunicator single;
  RoundingCommunicator comm(single, GetParam());
  EngineOptions options;
  options.max_batch_size = 8;  // the runner reserves its step for this many sequences
  options.model_dir = test::stories260k_dir();
  CpuModelRunner runner(options, comm);
  test::expect_golden_greedy(runner, {1, 40}, {1, 7}, 16);
}

INSTANTIATE_TEST_SUITE_P(Types, RoundedStories260k,
                         ::testing::Values(ReduceType::kBFloat16, ReduceType::kFloat16),
                         [](const auto& info) {
                           return std::string(reduce_type_name(info.param));
                         });

}  // namespace
}  // namespace tpbench
