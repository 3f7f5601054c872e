// The floor's schedule and step time, pinned by cases small enough to compute by hand
// (coordinator/floor/floor_model.hpp states the rules these follow).
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "coordinator/floor/floor_json.hpp"
#include "coordinator/floor/floor_model.hpp"

namespace tpbench {
namespace {

// ms(t) = t + 1 for 1 <= t <= 11, 12 * t / 11 beyond; K/V: 1 ms per context token.
FloorInputs simple_inputs() {
  FloorInputs in;
  in.step_gemm = {{1, 2.0}, {11, 12.0}};
  in.copy_bytes_per_s = 1000;
  in.kv_bytes_per_context_token = 1;
  return in;
}

TEST(FloorStepGemm, InterpolatesHoldsAndScales) {
  const std::vector<StepGemmPoint> points{{4, 3.0}, {8, 5.0}, {16, 13.0}};
  EXPECT_DOUBLE_EQ(step_gemm_ms(points, 1), 3.0);  // below the first point: held
  EXPECT_DOUBLE_EQ(step_gemm_ms(points, 4), 3.0);
  EXPECT_DOUBLE_EQ(step_gemm_ms(points, 6), 4.0);
  EXPECT_DOUBLE_EQ(step_gemm_ms(points, 8), 5.0);
  EXPECT_DOUBLE_EQ(step_gemm_ms(points, 10), 7.0);
  EXPECT_DOUBLE_EQ(step_gemm_ms(points, 16), 13.0);
  EXPECT_DOUBLE_EQ(step_gemm_ms(points, 48), 39.0);  // beyond the last: proportional
}

TEST(FloorSchedule, OneRequest) {
  // Step 1 prefills 3 tokens (no cache reads) and emits token 1: 4 ms.
  // Step 2 decodes 1 row at position 3, reading 4 positions: 2 + 4 ms.
  const FloorResult r = compute_floor({{3, 2}}, 1, simple_inputs());
  EXPECT_EQ(r.steps, 2);
  EXPECT_EQ(r.output_tokens, 2);
  EXPECT_EQ(r.prompt_tokens, 3);
  EXPECT_NEAR(r.gemm_seconds, 0.006, 1e-12);
  EXPECT_NEAR(r.kv_seconds, 0.004, 1e-12);
  EXPECT_NEAR(r.seconds, 0.010, 1e-12);
  EXPECT_NEAR(r.output_tok_s, 2 / 0.010, 1e-9);
  EXPECT_NEAR(r.req_s, 1 / 0.010, 1e-9);
}

TEST(FloorSchedule, TwoRequestsOneSlotRunOneAfterTheOther) {
  // r0 (2, 1): step 1, 3 ms; it leaves. r1 (4, 2): step 2 prefill, 5 ms; step 3 decode
  // reading 5, 2 + 5 ms.
  const FloorResult r = compute_floor({{2, 1}, {4, 2}}, 1, simple_inputs());
  EXPECT_EQ(r.steps, 3);
  EXPECT_EQ(r.output_tokens, 3);
  EXPECT_NEAR(r.seconds, 0.015, 1e-12);
}

TEST(FloorSchedule, TwoRequestsTwoSlotsShareTheFirstStep) {
  // Step 1 prefills both (6 tokens): 7 ms; r1 (4, 1) leaves.
  // Steps 2 and 3 decode r0 (2, 3) at positions 2 and 3: 2 + 3 and 2 + 4 ms.
  const FloorResult r = compute_floor({{2, 3}, {4, 1}}, 2, simple_inputs());
  EXPECT_EQ(r.steps, 3);
  EXPECT_EQ(r.output_tokens, 4);
  EXPECT_NEAR(r.seconds, 0.018, 1e-12);
}

TEST(FloorSchedule, FreedSlotIsFilledInTheNextStepBesideTheDecodes) {
  // Step 1: r0 (1, 2) and r1 (2, 1) prefill, 3 tokens: 4 ms; r1 leaves.
  // Step 2: r0 decodes (reads 2) and r2 (5, 1) is admitted into r1's slot: 6 tokens, reads 2:
  // 7 + 2 ms. Both leave.
  const FloorResult r = compute_floor({{1, 2}, {2, 1}, {5, 1}}, 2, simple_inputs());
  EXPECT_EQ(r.steps, 2);
  EXPECT_EQ(r.output_tokens, 4);
  EXPECT_EQ(r.prompt_tokens, 8);
  EXPECT_NEAR(r.seconds, 0.013, 1e-12);
}

TEST(FloorSchedule, BigStepScalesBeyondTheLastPoint) {
  // 22 prompt tokens in one step: 12 * 22 / 11 = 24 ms.
  const FloorResult r = compute_floor({{22, 1}}, 4, simple_inputs());
  EXPECT_NEAR(r.seconds, 0.024, 1e-12);
}

TEST(FloorSchedule, RejectsBadInput) {
  EXPECT_THROW(compute_floor({{0, 1}}, 1, simple_inputs()), InputError);
  EXPECT_THROW(compute_floor({{1, 0}}, 1, simple_inputs()), InputError);
  EXPECT_THROW(compute_floor({{1, 1}}, 0, simple_inputs()), InputError);
  FloorInputs unordered = simple_inputs();
  unordered.step_gemm = {{8, 1.0}, {8, 2.0}};
  EXPECT_THROW(compute_floor({{1, 1}}, 1, unordered), InputError);
}

TEST(FloorInputsJson, ParsesAndNamesTheBadField) {
  const FloorInputs in = parse_floor_inputs(
      R"({"card": "X", "step_gemm": [{"tokens": 1, "ms": 2}, {"tokens": 11, "ms": 12}],
          "copy_bytes_per_s": 1000, "kv_bytes_per_context_token": 1, "dtype": "bfloat16"})",
      "in.json");
  EXPECT_EQ(in.card, "X");
  ASSERT_EQ(in.step_gemm.size(), 2u);
  EXPECT_EQ(in.step_gemm[1].tokens, 11);
  EXPECT_DOUBLE_EQ(in.step_gemm[1].ms, 12.0);
  EXPECT_DOUBLE_EQ(in.copy_bytes_per_s, 1000);
  try {
    parse_floor_inputs(R"({"step_gemm": [{"tokens": 1, "ms": 2}], "copy_bytes_per_s": 1})",
                       "in.json");
    FAIL() << "no error for a missing field";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("kv_bytes_per_context_token"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_floor_inputs(R"({"step_gemm": [{"tokens": 1.5, "ms": 2}],
                                      "copy_bytes_per_s": 1, "kv_bytes_per_context_token": 1})",
                                  "in.json"),
               InputError);
}

}  // namespace
}  // namespace tpbench
