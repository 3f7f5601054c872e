#include <gtest/gtest.h>

#include <vector>

#include "engine/scheduler/scheduler.hpp"

namespace tpbench {
namespace {

EngineRequest request(uint64_t id, size_t prompt, int32_t max_new) {
  EngineRequest r;
  r.id = id;
  r.prompt.assign(prompt, 1);
  r.max_new_tokens = max_new;
  return r;
}

std::vector<uint64_t> ids(const StepPlan& plan) {
  std::vector<uint64_t> out;
  for (const auto& c : plan.seqs) out.push_back(c.request_id);
  return out;
}

// Runs one step with token 0 for every sampled sequence; returns the plan's request ids.
std::vector<uint64_t> step(Scheduler& s, StepPlan& plan) {
  s.schedule(plan);
  std::vector<int32_t> sampled;
  for (const auto& c : plan.seqs)
    if (c.want_logits) sampled.push_back(0);
  std::vector<StepResult::Token> out;
  s.complete(sampled.data(), 0, out);
  return ids(plan);
}

SchedulerConfig config(int32_t blocks, int32_t block_size, int32_t batch, int32_t prefill) {
  SchedulerConfig c;
  c.num_blocks = blocks;
  c.block_size = block_size;
  c.max_batch_size = batch;
  c.max_prefill_tokens = prefill;
  return c;
}

TEST(SchedulerPolicy, DecodeOutOfBlocksPreemptsTheNewest) {
  Scheduler s(config(9, 2, 4, 100));
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_FALSE(s.add(request(id, 3, 15), 0));
  StepPlan plan;
  EXPECT_EQ(step(s, plan), (std::vector<uint64_t>{1, 2, 3, 4}));  // 8 of 9 blocks
  EXPECT_EQ(step(s, plan), (std::vector<uint64_t>{1, 2, 3, 4}));  // length 4: no new block
  // Length 5 needs a third block each: 1 takes the last free one, 2 evicts 4 (newest).
  EXPECT_EQ(step(s, plan), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(s.counters().preemptions, 1);
  EXPECT_EQ(s.num_waiting(), 1u);
  EXPECT_EQ(s.blocks().num_free(), 0);
  s.blocks().check_invariants();
}

TEST(SchedulerPolicy, PreemptedRequestIsReadmittedBeforeLaterArrivals) {
  Scheduler s(config(9, 2, 4, 100));
  for (uint64_t id = 1; id <= 4; ++id) ASSERT_FALSE(s.add(request(id, 3, 15), 0));
  StepPlan plan;
  for (int i = 0; i < 3; ++i) step(s, plan);  // 4 preempted as above
  ASSERT_FALSE(s.add(request(5, 1, 1), 0));
  // 5 fits the free blocks long before 4 does, but must not overtake it.
  for (int i = 0; i < 200 && s.num_waiting() > 0; ++i) {
    auto planned = step(s, plan);
    for (uint64_t id : planned) {
      if (id == 5) {
        ASSERT_EQ(s.num_waiting(), 0u) << "request 5 admitted while 4 waits";
      }
    }
  }
  EXPECT_EQ(s.num_waiting(), 0u);
}

TEST(SchedulerPolicy, AdmissionIsFirstComeFirstServed) {
  Scheduler s(config(10, 4, 8, 1000));
  ASSERT_FALSE(s.add(request(1, 20, 4), 0));   // 5 blocks
  ASSERT_FALSE(s.add(request(2, 20, 16), 0));  // 5 blocks + watermark: does not fit yet
  ASSERT_FALSE(s.add(request(3, 2, 2), 0));    // would fit, but queues behind 2
  StepPlan plan;
  EXPECT_EQ(step(s, plan), (std::vector<uint64_t>{1}));
  EXPECT_EQ(s.num_waiting(), 2u);
}

TEST(SchedulerPolicy, BatchSizeAndPrefillBudgetBoundEachStep) {
  Scheduler s(config(100, 4, 3, 10));
  for (uint64_t id = 1; id <= 6; ++id) ASSERT_FALSE(s.add(request(id, 4, 3), 0));
  StepPlan plan;
  s.schedule(plan);
  // Budget 10: 4 + 4 + 2 (a chunk of the third prompt); batch 3.
  ASSERT_EQ(plan.seqs.size(), 3u);
  EXPECT_EQ(plan.seqs[2].tokens.size(), 2u);
  EXPECT_FALSE(plan.seqs[2].want_logits);
  EXPECT_TRUE(plan.seqs[0].want_logits);
  std::vector<int32_t> sampled{0, 0};
  std::vector<StepResult::Token> out;
  s.complete(sampled.data(), 0, out);
  EXPECT_EQ(out.size(), 2u);
  s.schedule(plan);  // two decodes and the rest of the third prompt; still 3 running
  ASSERT_EQ(plan.seqs.size(), 3u);
  EXPECT_EQ(plan.seqs[2].start_pos, 2);
  EXPECT_EQ(plan.seqs[2].tokens.size(), 2u);
  EXPECT_TRUE(plan.seqs[2].want_logits);
}

}  // namespace
}  // namespace tpbench
