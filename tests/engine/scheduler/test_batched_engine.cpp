#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <random>

#include "common/clock.hpp"

#include "common/error.hpp"
#include "engine/scheduler/step_profile.hpp"
#include "engine_harness.hpp"

namespace tpbench {
namespace {

using testing::FakeRunnerConfig;
using testing::make_harness;
using testing::options_with_blocks;
using testing::reference_greedy;
using testing::run_to_completion;

int64_t total_tokens(const std::vector<EngineRequest>& reqs) {
  int64_t n = 0;
  for (const auto& r : reqs) n += static_cast<int64_t>(r.prompt.size()) + r.max_new_tokens;
  return n;
}

// Decoding each request alone, in a fresh engine with room to spare.
std::vector<int32_t> decode_alone(const EngineRequest& r, const FakeRunnerConfig& rc) {
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 512, 8, 4, 4096), comm);
  auto out = run_to_completion(*h.engine, {r}, {}, 10000);
  return out.tokens[r.id];
}

TEST(BatchedEngine, GreedyBatchMatchesReferenceAndStats) {
  SingleRankCommunicator comm;
  FakeRunnerConfig rc;
  std::mt19937 rng(1);
  auto reqs = testing::random_requests(rng, 40, 100, 40, rc.vocab, 100);
  auto h = make_harness(rc, options_with_blocks(rc, 2000, 16, 16, 64), comm);
  auto out = run_to_completion(*h.engine, reqs, {}, 100000);
  EXPECT_TRUE(out.failures.empty());
  int64_t prompt_tokens = 0, decode_tokens = 0;
  for (const auto& r : reqs) {
    EXPECT_EQ(out.tokens[r.id], reference_greedy(r.prompt, r.max_new_tokens, rc.vocab))
        << "request " << r.id;
    prompt_tokens += static_cast<int64_t>(r.prompt.size());
    decode_tokens += r.max_new_tokens - 1;
  }
  const EngineStats s = h.engine->stats();
  EXPECT_EQ(s.preemptions, 0);
  EXPECT_EQ(s.prefill_tokens, prompt_tokens);
  EXPECT_EQ(s.decode_tokens, decode_tokens);
  EXPECT_EQ(s.steps, static_cast<int64_t>(h.runner->plans().size()));
  EXPECT_EQ(s.kv_blocks_total, 2000);
  EXPECT_GT(s.busy_ns, 0);
  for (const auto& p : h.runner->plans()) EXPECT_LE(p.seqs, 16u);
  EXPECT_EQ(h.engine->scheduler().blocks().num_free(), 2000);
  EXPECT_EQ(h.engine->pending(), 0u);
}

TEST(BatchedEngine, SampledBatchEqualsEachAloneEvenWithPreemption) {
  FakeRunnerConfig rc;
  std::mt19937 rng(2);
  auto reqs = testing::random_requests(rng, 24, 30, 30, rc.vocab, 7);
  for (auto& r : reqs) r.sampling = {.top_k = 8, .top_p = 0.9f, .temperature = 1.3f, .seed = 77};
  SingleRankCommunicator comm;
  // 16 blocks of 4 tokens: far less than the batch wants, so decodes preempt.
  auto h = make_harness(rc, options_with_blocks(rc, 16, 4, 8, 32), comm);
  auto out = run_to_completion(*h.engine, reqs, {}, 100000);
  EXPECT_GT(h.engine->stats().preemptions, 0);
  int differs_from_greedy = 0;
  for (const auto& r : reqs) {
    ASSERT_EQ(out.tokens[r.id].size(), static_cast<size_t>(r.max_new_tokens));
    EXPECT_EQ(out.tokens[r.id], decode_alone(r, rc)) << "request " << r.id;
    differs_from_greedy +=
        out.tokens[r.id] != reference_greedy(r.prompt, r.max_new_tokens, rc.vocab);
  }
  EXPECT_GT(differs_from_greedy, 0) << "sampling never left the greedy path";
  EXPECT_EQ(h.engine->scheduler().blocks().num_free(), 16);
}

// The runner samples with the engine's SamplingRows alone: mixed greedy and sampled requests,
// with preemption, must give each request the draws of its own stream (seed, id, token index).
TEST(BatchedEngine, SamplingRowsGiveEachRequestItsOwnStream) {
  FakeRunnerConfig rc;
  std::mt19937 rng(5);
  auto reqs = testing::random_requests(rng, 24, 30, 30, rc.vocab, 7);
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (i % 3 == 0) continue;  // greedy (top_k 1)
    reqs[i].sampling = {.top_k = i % 3 == 1 ? 0 : 6,
                        .top_p = i % 2 ? 0.85f : 1.0f,
                        .temperature = 0.7f + 0.1f * static_cast<float>(i % 5),
                        .seed = 1000 + i};
  }
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 16, 4, 8, 32), comm);
  auto out = run_to_completion(*h.engine, reqs, {}, 100000);
  EXPECT_GT(h.engine->stats().preemptions, 0);
  int sampled_off_greedy = 0;
  for (const auto& r : reqs) {
    ASSERT_EQ(out.tokens[r.id].size(), static_cast<size_t>(r.max_new_tokens));
    EXPECT_EQ(out.tokens[r.id], testing::reference_sampled(r, rc.vocab)) << "request " << r.id;
    sampled_off_greedy +=
        out.tokens[r.id] != reference_greedy(r.prompt, r.max_new_tokens, rc.vocab);
  }
  EXPECT_GT(sampled_off_greedy, 0) << "sampling never left the greedy path";
}

// A token's time is taken when the runner's forward pass (with its sampling) returns: within
// the step() that returned it, after the runner finished, one time per step, never decreasing.
// A refused request's failure carries the time of the add() that refused it.
TEST(BatchedEngine, TokenTimesAreTakenWhenTheRunnerReturns) {
  FakeRunnerConfig rc;
  rc.max_context = 64;
  std::mt19937 rng(6);
  auto reqs = testing::random_requests(rng, 20, 20, 15, rc.vocab, 0);
  reqs[4].prompt.assign(70, 1);  // past the max context: fails in add()
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 40, 4, 6, 16), comm);
  std::map<uint64_t, std::pair<int64_t, int64_t>> add_span;
  for (auto& r : reqs) {
    const uint64_t id = r.id;
    const int64_t before = steady_now_ns();
    h.engine->add(std::move(r));
    add_span[id] = {before, steady_now_ns()};
  }
  int64_t previous = 0;
  int64_t tokens = 0, failures = 0;
  while (h.engine->pending() > 0) {
    const int64_t before = steady_now_ns();
    const StepResult step = h.engine->step();
    const int64_t after = steady_now_ns();
    for (const auto& t : step.tokens) {
      EXPECT_GE(t.time_ns, h.runner->forward_returned_ns());
      EXPECT_GT(h.runner->forward_returned_ns(), before);
      EXPECT_LE(t.time_ns, after);
      EXPECT_EQ(t.time_ns, step.tokens.front().time_ns) << "one time per step";
      EXPECT_GE(t.time_ns, previous);
      ++tokens;
    }
    if (!step.tokens.empty()) previous = step.tokens.front().time_ns;
    for (const auto& f : step.failures) {
      EXPECT_GE(f.time_ns, add_span.at(f.request_id).first);
      EXPECT_LE(f.time_ns, add_span.at(f.request_id).second);
      ++failures;
    }
  }
  EXPECT_EQ(failures, 1);
  EXPECT_GT(tokens, 100);
}

TEST(BatchedEngine, PreemptionRecomputesToTheSameTokens) {
  FakeRunnerConfig rc;
  std::mt19937 rng(3);
  auto reqs = testing::random_requests(rng, 30, 20, 40, rc.vocab, 0);
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 20, 4, 12, 16), comm);
  auto out = run_to_completion(*h.engine, reqs, {}, 100000);
  const EngineStats s = h.engine->stats();
  EXPECT_GT(s.preemptions, 0);
  EXPECT_GT(s.prefill_tokens, total_tokens(reqs) - s.decode_tokens - 30 * 40)
      << "recompute shows up as extra prefill";
  for (const auto& r : reqs)
    EXPECT_EQ(out.tokens[r.id], reference_greedy(r.prompt, r.max_new_tokens, rc.vocab))
        << "request " << r.id;
  h.engine->scheduler().blocks().check_invariants();
  EXPECT_EQ(h.engine->scheduler().blocks().num_free(), 20);
}

TEST(BatchedEngine, RandomWorkloadsOnTinyCachesAllFinish) {
  for (uint32_t seed = 0; seed < 60; ++seed) {
    std::mt19937 rng(seed);
    FakeRunnerConfig rc;
    rc.vocab = 11 + static_cast<int32_t>(rng() % 50);
    const int block_size = 1 + static_cast<int>(rng() % 8);
    const int max_prompt = 1 + static_cast<int>(rng() % 40);
    const int max_new = 1 + static_cast<int>(rng() % 25);
    // Enough blocks for the longest possible request, rarely much more.
    const int64_t min_blocks = (max_prompt + max_new + block_size - 1) / block_size;
    const int64_t blocks = min_blocks + static_cast<int64_t>(rng() % (2 * min_blocks + 1));
    const int max_batch = 1 + static_cast<int>(rng() % 10);
    const int max_prefill = 1 + static_cast<int>(rng() % 24);
    auto reqs = testing::random_requests(rng, 25, max_prompt, max_new, rc.vocab, 1000 * seed);
    std::vector<int64_t> arrival;
    for (size_t i = 0; i < reqs.size(); ++i) arrival.push_back(rng() % 3 == 0 ? rng() % 60 : 0);
    std::sort(arrival.begin(), arrival.end());
    SingleRankCommunicator comm;
    auto h =
        make_harness(rc, options_with_blocks(rc, blocks, block_size, max_batch, max_prefill), comm);
    // Each step advances the oldest running request, so a request finishes within
    // (its length + everything queued before it) steps; this bound is far looser.
    const int64_t bound = 60 + 4 * total_tokens(reqs);
    auto out = run_to_completion(*h.engine, reqs, arrival, bound);
    SCOPED_TRACE("seed " + std::to_string(seed));
    EXPECT_TRUE(out.failures.empty());
    for (const auto& r : reqs)
      ASSERT_EQ(out.tokens[r.id], reference_greedy(r.prompt, r.max_new_tokens, rc.vocab))
          << "request " << r.id;
    const auto& sched = h.engine->scheduler();
    EXPECT_EQ(sched.num_running(), 0u);
    EXPECT_EQ(sched.num_waiting(), 0u);
    EXPECT_EQ(sched.blocks().num_free(), blocks) << "blocks leaked";
    sched.blocks().check_invariants();
    for (const auto& p : h.runner->plans()) ASSERT_LE(p.seqs, static_cast<size_t>(max_batch));
  }
}

TEST(BatchedEngine, ChunkedPrefillRespectsTheTokenBudget) {
  FakeRunnerConfig rc;
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 200, 4, 8, 7), comm);
  h.runner->record_plans(true);
  std::mt19937 rng(4);
  auto reqs = testing::random_requests(rng, 10, 12, 10, rc.vocab, 0);
  reqs[3].prompt.assign(30, 5);
  reqs[3].max_new_tokens = 10;
  std::map<uint64_t, size_t> prompt_len;
  for (const auto& r : reqs) prompt_len[r.id] = r.prompt.size();
  auto out = run_to_completion(*h.engine, reqs, {}, 10000);
  ASSERT_EQ(h.engine->stats().preemptions, 0);  // so a chunk is prefill iff it starts in the prompt
  std::map<uint64_t, int32_t> next_pos;
  int long_chunks = 0;
  for (const StepPlan& plan : h.runner->recorded()) {
    int64_t prefill = 0;
    for (const SequenceChunk& c : plan.seqs) {
      EXPECT_EQ(c.start_pos, next_pos[c.request_id])
          << "chunks of " << c.request_id << " not contiguous";
      EXPECT_EQ(static_cast<size_t>(c.prompt_len), prompt_len[c.request_id]);
      next_pos[c.request_id] = c.start_pos + static_cast<int32_t>(c.tokens.size());
      if (static_cast<size_t>(c.start_pos) < prompt_len[c.request_id]) {
        prefill += static_cast<int64_t>(c.tokens.size());
        EXPECT_EQ(c.want_logits,
                  next_pos[c.request_id] == static_cast<int32_t>(prompt_len[c.request_id]));
      } else {
        EXPECT_EQ(c.tokens.size(), 1u);
        EXPECT_TRUE(c.want_logits);
      }
      long_chunks += c.request_id == 3;
    }
    EXPECT_LE(prefill, 7);
  }
  EXPECT_GE(long_chunks, 5 + 9);  // 30 prompt tokens in chunks of <= 7, then 9 decodes
  for (const auto& r : reqs)
    EXPECT_EQ(out.tokens[r.id], reference_greedy(r.prompt, r.max_new_tokens, rc.vocab));
}

// --step-profile-out: one row per step, its shape that of the plan the runner ran, written on
// shutdown.
TEST(BatchedEngine, StepProfileHasEveryStepsShape) {
  FakeRunnerConfig rc;
  SingleRankCommunicator comm;
  EngineOptions o = options_with_blocks(rc, 200, 4, 8, 7);
  o.step_profile_out = ::testing::TempDir() + "/step_profile.csv";
  std::remove(o.step_profile_out.c_str());
  auto h = make_harness(rc, o, comm);
  h.runner->record_plans(true);
  std::mt19937 rng(5);
  run_to_completion(*h.engine, testing::random_requests(rng, 10, 12, 10, rc.vocab, 0), {}, 10000);
  h.engine->shutdown();
  const auto rows = read_step_profiles(o.step_profile_out, "--sim-profile");
  const auto& plans = h.runner->recorded();
  ASSERT_EQ(rows.size(), plans.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const StepShape want = step_shape(plans[i]);
    EXPECT_EQ(rows[i].shape.tokens, want.tokens);
    EXPECT_EQ(rows[i].shape.seqs, want.seqs);
    EXPECT_EQ(rows[i].shape.prefill_tokens, want.prefill_tokens);
    EXPECT_EQ(rows[i].shape.context_tokens, want.context_tokens);
    EXPECT_GT(rows[i].forward_ns, 0);
  }
  std::ofstream(o.step_profile_out, std::ios::app) << "3,1,0,x,5\n";
  EXPECT_THROW(read_step_profiles(o.step_profile_out, "--sim-profile"), InputError);
}

TEST(BatchedEngine, ImpossibleRequestsFailAndTheRunGoesOn) {
  FakeRunnerConfig rc;
  rc.max_context = 64;
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 12, 4, 8, 64), comm);  // 48 tokens of cache
  std::vector<EngineRequest> reqs(6);
  for (size_t i = 0; i < reqs.size(); ++i) {
    reqs[i].id = 10 + i;
    reqs[i].prompt.assign(5, static_cast<int32_t>(i));
    reqs[i].max_new_tokens = 6;
  }
  reqs[1].prompt.assign(60, 1);  // 60 + 6 > max context 64
  reqs[2].prompt.assign(40, 2);  // 40 + 10 fits the context, not the 48-token cache
  reqs[2].max_new_tokens = 10;
  reqs[3].prompt.clear();
  reqs[4].max_new_tokens = 0;
  auto out = run_to_completion(*h.engine, reqs, {}, 1000);
  ASSERT_EQ(out.failures.size(), 4u);
  EXPECT_EQ(out.failures[11],
            "request 11: prompt 60 + max_new_tokens 6 = 66 tokens exceeds the model's max "
            "context 64");
  EXPECT_EQ(out.failures[12],
            "request 12: prompt 40 + max_new_tokens 10 = 50 tokens needs 13 KV blocks of 4 "
            "tokens; the whole cache has 12");
  EXPECT_NE(out.failures[13].find("request 13: empty prompt"), std::string::npos);
  EXPECT_NE(out.failures[14].find("request 14: max_new_tokens 0"), std::string::npos);
  for (uint64_t id : {10u, 15u})
    EXPECT_EQ(out.tokens[id], reference_greedy(reqs[id - 10].prompt, 6, rc.vocab));
  EXPECT_EQ(out.tokens.count(11), 0u);
  EXPECT_EQ(h.engine->pending(), 0u);
}

TEST(BatchedEngine, FailureKeepsPendingUntilReported) {
  FakeRunnerConfig rc;
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 4, 4, 8, 64), comm);
  EngineRequest r;
  r.id = 5;
  r.prompt.assign(100, 1);
  r.max_new_tokens = 1;
  h.engine->add(r);
  EXPECT_EQ(h.engine->pending(), 1u);
  StepResult s = h.engine->step();
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].request_id, 5u);
  EXPECT_EQ(h.engine->pending(), 0u);
  EXPECT_TRUE(h.engine->step().failures.empty());
}

TEST(BatchedEngine, CapacityFromBudgetAndDescribe) {
  FakeRunnerConfig rc;
  rc.bytes_per_block = 3000;
  rc.budget_bytes = 1'000'000;
  SingleRankCommunicator comm;
  EngineOptions o;
  o.cache_block_seq_len = 32;
  o.max_batch_size = 8;
  o.max_prefill_tokens = 64;
  o.cache_max_entry_count = 0.5;  // 500000 / 3000 = 166 blocks
  auto h = make_harness(rc, o, comm);
  EXPECT_EQ(h.engine->stats().kv_blocks_total, 166);
  EXPECT_EQ(h.runner->allocated_blocks(), 166);
  EXPECT_EQ(h.runner->allocated_block_size(), 32);
  EXPECT_EQ(h.engine->describe(),
            "fake runner, vocab 53, kv cache 166 blocks x 32 tokens (5312 tokens)");
  o.kv_cache_bytes = 2999;  // less than one block
  EXPECT_THROW(make_harness(rc, o, comm), InputError);
  o.kv_cache_bytes = 30000;
  o.max_prefill_tokens = 0;
  EXPECT_THROW(make_harness(rc, o, comm), InputError);
}

TEST(BatchedEngine, ShutdownIsIdempotentAndStopsWork) {
  FakeRunnerConfig rc;
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 10, 4, 8, 64), comm);
  h.engine->shutdown();
  h.engine->shutdown();
  EXPECT_THROW(h.engine->step(), InternalError);
}

}  // namespace
}  // namespace tpbench
