#include <gtest/gtest.h>

#include <random>

#include "common/error.hpp"
#include "engine/model_runner.hpp"
#include "engine/scheduler/plan_codec.hpp"

namespace tpbench {
namespace {

StepPlan random_plan(uint32_t seed) {
  std::mt19937 rng(seed);
  StepPlan plan;
  plan.seqs.resize(rng() % 6);
  for (SequenceChunk& c : plan.seqs) {
    c.request_id = (static_cast<uint64_t>(rng()) << 32) | rng();
    c.start_pos = static_cast<int32_t>(rng() % 5000);
    c.prompt_len = static_cast<int32_t>(rng() % 5000);
    c.want_logits = rng() % 2;
    c.tokens.resize(1 + rng() % 40);
    for (auto& t : c.tokens) t = static_cast<int32_t>(rng());  // any int32, negatives too
    c.block_table.resize(rng() % 9);
    for (auto& b : c.block_table) b = static_cast<int32_t>(rng() % 100000);
  }
  return plan;
}

void expect_same(const StepPlan& a, const StepPlan& b) {
  EXPECT_EQ(a.shutdown, b.shutdown);
  ASSERT_EQ(a.seqs.size(), b.seqs.size());
  for (size_t i = 0; i < a.seqs.size(); ++i) {
    EXPECT_EQ(a.seqs[i].request_id, b.seqs[i].request_id);
    EXPECT_EQ(a.seqs[i].start_pos, b.seqs[i].start_pos);
    EXPECT_EQ(a.seqs[i].prompt_len, b.seqs[i].prompt_len);
    EXPECT_EQ(a.seqs[i].want_logits, b.seqs[i].want_logits);
    EXPECT_EQ(a.seqs[i].tokens, b.seqs[i].tokens);
    EXPECT_EQ(a.seqs[i].block_table, b.seqs[i].block_table);
  }
}

TEST(PlanCodec, RoundTrip) {
  for (uint32_t seed = 0; seed < 50; ++seed) {
    StepPlan plan = random_plan(seed);
    plan.shutdown = seed % 7 == 0;
    std::vector<uint8_t> bytes = encode_plan(plan);
    expect_same(plan, decode_plan(bytes.data(), bytes.size()));
  }
}

TEST(PlanCodec, ReusedStorageRoundTrip) {
  StepPlan into = random_plan(99);  // stale content must be fully replaced
  std::vector<uint8_t> buf;
  for (uint32_t seed = 0; seed < 20; ++seed) {
    StepPlan plan = random_plan(seed);
    encode_plan_into(plan, buf);
    decode_plan_into(buf.data(), buf.size(), into);
    expect_same(plan, into);
  }
}

TEST(PlanCodec, TruncatedOrPaddedBuffersAreRejected) {
  uint32_t seed = 3;
  StepPlan plan;
  do plan = random_plan(seed++);
  while (plan.seqs.empty());
  std::vector<uint8_t> bytes = encode_plan(plan);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(decode_plan(bytes.data(), n), InternalError) << "prefix " << n;
  bytes.push_back(0);
  EXPECT_THROW(decode_plan(bytes.data(), bytes.size()), InternalError);
  bytes.pop_back();
  bytes[0] ^= 0xFF;
  EXPECT_THROW(decode_plan(bytes.data(), bytes.size()), InternalError);
}

}  // namespace
}  // namespace tpbench
