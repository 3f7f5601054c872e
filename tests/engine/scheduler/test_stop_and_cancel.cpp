// Early stop (stop tokens, min_new_tokens) and cancel on the BatchedEngine over the fake runner:
// outputs against a reference computed without any engine, blocks and slots returned, nothing
// reported for a request after its cancel.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "engine/scheduler/sampler.hpp"
#include "engine_harness.hpp"

namespace tpbench {
namespace {

using testing::FakeRunnerConfig;
using testing::make_harness;
using testing::options_with_blocks;

// What the engine must produce for a request with stop tokens: each token drawn with
// sample_token from the fake's logits with the stop tokens set to -inf while fewer than
// min_new_tokens exist; the request ends after a stop token or at max_new_tokens.
std::vector<int32_t> reference_with_stops(const EngineRequest& r, int32_t vocab) {
  const uint64_t key = counter_stream_key(r.sampling.seed, r.id);
  std::vector<float> logits(vocab);
  uint64_t h = 0;
  for (int32_t t : r.prompt) h = testing::fold_history(h, t);
  int32_t pos = static_cast<int32_t>(r.prompt.size()) - 1;
  std::vector<int32_t> out;
  for (int32_t n = 0; n < r.max_new_tokens; ++n, ++pos) {
    testing::fill_logits(h, pos, vocab, logits.data());
    const bool masked = n < r.min_new_tokens;
    if (masked)
      for (int32_t s : r.stop_token_ids) logits[s] = -std::numeric_limits<float>::infinity();
    const int32_t next = sample_token(logits.data(), vocab, r.sampling, key, n);
    out.push_back(next);
    h = testing::fold_history(h, next);
    if (!masked && std::count(r.stop_token_ids.begin(), r.stop_token_ids.end(), next) > 0) break;
  }
  return out;
}

struct Outcome {
  std::map<uint64_t, std::vector<int32_t>> tokens;
  std::map<uint64_t, bool> finished;
  std::map<uint64_t, std::string> failures;
};

// Steps until nothing is pending, filling `out` as it goes; `before_step(step)` may add or
// cancel. Checks that no token follows a finished one.
template <typename BeforeStep>
Outcome& run_into(BatchedEngine& engine, Outcome& out, BeforeStep before_step,
                  int64_t max_steps = 100000) {
  for (int64_t step = 0;; ++step) {
    before_step(step);
    if (engine.pending() == 0) break;
    StepResult r = engine.step();
    for (const auto& t : r.tokens) {
      EXPECT_FALSE(out.finished[t.request_id]) << "token after the finish of " << t.request_id;
      out.tokens[t.request_id].push_back(t.token);
      out.finished[t.request_id] = t.finished;
    }
    for (const auto& f : r.failures) out.failures[f.request_id] = f.reason;
    if (step > max_steps) {
      ADD_FAILURE() << "still pending after " << max_steps << " steps";
      break;
    }
  }
  return out;
}

// Requests whose stop tokens are drawn from their own greedy continuation, so most stop early.
std::vector<EngineRequest> stopping_requests(std::mt19937& rng, int n, int32_t vocab,
                                             bool sampled) {
  std::vector<EngineRequest> reqs = testing::random_requests(rng, n, 40, 40, vocab, 1);
  for (size_t i = 0; i < reqs.size(); ++i) {
    EngineRequest& r = reqs[i];
    r.max_new_tokens += 10;
    if (sampled) r.sampling = {.top_k = 6, .top_p = 0.9f, .temperature = 1.1f, .seed = 5 + i};
    if (i % 4 == 3) continue;  // no stop tokens: exactly max_new_tokens
    const std::vector<int32_t> greedy =
        testing::reference_greedy(r.prompt, r.max_new_tokens, vocab);
    r.stop_token_ids = {greedy[rng() % greedy.size()], static_cast<int32_t>(rng() % vocab)};
    r.min_new_tokens = i % 3 == 0 ? static_cast<int32_t>(rng() % r.max_new_tokens) : 0;
  }
  return reqs;
}

void expect_outputs_match_reference(const std::vector<EngineRequest>& reqs, const Outcome& out,
                                    int32_t vocab, int* stopped_early) {
  for (const auto& r : reqs) {
    const std::vector<int32_t> want = reference_with_stops(r, vocab);
    EXPECT_EQ(out.tokens.at(r.id), want) << "request " << r.id;
    EXPECT_TRUE(out.finished.at(r.id)) << "request " << r.id;
    *stopped_early += static_cast<int32_t>(want.size()) < r.max_new_tokens;
    if (r.stop_token_ids.empty()) {
      EXPECT_EQ(want.size(), static_cast<size_t>(r.max_new_tokens)) << "request " << r.id;
    }
    for (int32_t n = 0; n < std::min<int32_t>(r.min_new_tokens, want.size()); ++n)
      EXPECT_EQ(std::count(r.stop_token_ids.begin(), r.stop_token_ids.end(), want[n]), 0)
          << "request " << r.id << ": stop token " << want[n] << " at " << n << " < min "
          << r.min_new_tokens;
  }
}

TEST(StopTokens, GreedyAndSampledRequestsStopWhereTheReferenceDoesEvenWithPreemption) {
  for (bool sampled : {false, true}) {
    SCOPED_TRACE(sampled ? "sampled" : "greedy");
    FakeRunnerConfig rc;
    std::mt19937 rng(sampled ? 11 : 12);
    const std::vector<EngineRequest> reqs = stopping_requests(rng, 40, rc.vocab, sampled);
    SingleRankCommunicator comm;
    // 24 blocks of 4 tokens (the longest request needs 23): decodes preempt each other.
    auto h = make_harness(rc, options_with_blocks(rc, 24, 4, 8, 32), comm);
    size_t next = 0;
    Outcome out;
    run_into(*h.engine, out, [&](int64_t step) {
      while (next < reqs.size() && static_cast<int64_t>(next) <= step * 3)
        h.engine->add(EngineRequest(reqs[next++]));
    });
    EXPECT_TRUE(out.failures.empty());
    int stopped_early = 0;
    expect_outputs_match_reference(reqs, out, rc.vocab, &stopped_early);
    EXPECT_GT(stopped_early, 10) << "the stop tokens hardly ever ended a request";
    EXPECT_GT(h.engine->stats().preemptions, 0);
    EXPECT_EQ(h.engine->scheduler().blocks().num_free(), 24);
  }
}

TEST(StopTokens, MinNewTokensMasksEveryStopTokenUntilReached) {
  FakeRunnerConfig rc;
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 512, 8, 8, 4096), comm);
  EngineRequest r;
  r.id = 3;
  r.prompt = {5, 9, 14};
  r.max_new_tokens = 12;
  const std::vector<int32_t> greedy = testing::reference_greedy(r.prompt, 12, rc.vocab);
  r.stop_token_ids = {greedy[0]};  // the first greedy token: an immediate stop without the mask
  r.min_new_tokens = 4;
  Outcome out;
  run_into(*h.engine, out, [&](int64_t step) {
    if (step == 0) h.engine->add(EngineRequest(r));
  });
  const std::vector<int32_t>& got = out.tokens.at(3);
  ASSERT_GE(got.size(), 4u);
  EXPECT_NE(got[0], greedy[0]) << "the stop token was not masked";
  EXPECT_EQ(got, reference_with_stops(r, rc.vocab));

  EngineRequest unmasked = r;
  unmasked.id = 4;
  unmasked.min_new_tokens = 0;
  Outcome out2;
  run_into(*h.engine, out2, [&](int64_t step) {
    if (step == 0) h.engine->add(EngineRequest(unmasked));
  });
  EXPECT_EQ(out2.tokens.at(4), std::vector<int32_t>{greedy[0]});
  EXPECT_TRUE(out2.finished.at(4));
}

TEST(StopTokens, BadStopsAndMinimumsAreRefusedWithReasons) {
  FakeRunnerConfig rc;
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 64, 8, 8, 4096), comm);
  auto request = [](uint64_t id) {
    EngineRequest r;
    r.id = id;
    r.prompt = {1, 2};
    r.max_new_tokens = 5;
    return r;
  };
  EngineRequest over_min = request(1);
  over_min.min_new_tokens = 6;
  EngineRequest out_of_vocab = request(2);
  out_of_vocab.stop_token_ids = {rc.vocab};
  EngineRequest too_many = request(3);
  too_many.stop_token_ids.assign(kMaxStopTokenIds + 1, 1);
  Outcome out;
  run_into(*h.engine, out, [&](int64_t step) {
    if (step != 0) return;
    h.engine->add(std::move(over_min));
    h.engine->add(std::move(out_of_vocab));
    h.engine->add(std::move(too_many));
  });
  ASSERT_EQ(out.failures.size(), 3u);
  EXPECT_NE(out.failures.at(1).find("min_new_tokens 6 outside [0, max_new_tokens 5]"),
            std::string::npos);
  EXPECT_NE(out.failures.at(2).find("stop token 53 outside the vocabulary of 53"),
            std::string::npos);
  EXPECT_NE(out.failures.at(3).find("17 stop tokens; at most 16"), std::string::npos);
  EXPECT_TRUE(out.tokens.empty());
}

// Cancels running, preempted and waiting requests at random steps: nothing is reported for a
// request after its cancel, the others give exactly what they give alone, and every block and
// slot comes back.
TEST(Cancel, RunningWaitingAndPreemptedRequestsLeaveNothingBehind) {
  FakeRunnerConfig rc;
  std::mt19937 rng(21);
  std::vector<EngineRequest> reqs = testing::random_requests(rng, 60, 30, 30, rc.vocab, 100);
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 16, 4, 6, 24), comm);
  std::set<uint64_t> cancelled;
  std::map<uint64_t, size_t> tokens_at_cancel;
  Outcome out;
  size_t next = 0;
  run_into(*h.engine, out, [&](int64_t step) {
    while (next < reqs.size() && static_cast<int64_t>(next) <= step * 2)
      h.engine->add(EngineRequest(reqs[next++]));
    if (step % 3 == 2) {
      const uint64_t id = 100 + rng() % next;
      if (!out.finished[id] && cancelled.insert(id).second) {
        tokens_at_cancel[id] = out.tokens[id].size();
        h.engine->cancel(id);
      }
    }
  });
  EXPECT_GT(cancelled.size(), 10u);
  EXPECT_TRUE(out.failures.empty());
  int cut_short = 0;
  for (const auto& r : reqs) {
    const std::vector<int32_t> alone =
        testing::reference_greedy(r.prompt, r.max_new_tokens, rc.vocab);
    const std::vector<int32_t>& got = out.tokens[r.id];
    if (!cancelled.count(r.id)) {
      EXPECT_EQ(got, alone) << "request " << r.id;
      continue;
    }
    // A prefix of what it would have produced, and nothing after the cancel.
    EXPECT_EQ(got.size(), tokens_at_cancel[r.id]) << "request " << r.id;
    ASSERT_LE(got.size(), alone.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), alone.begin())) << "request " << r.id;
    cut_short += got.size() < alone.size();
  }
  EXPECT_GT(cut_short, 5);
  EXPECT_EQ(h.engine->pending(), 0u);
  EXPECT_EQ(h.engine->scheduler().num_running(), 0u);
  EXPECT_EQ(h.engine->scheduler().num_waiting(), 0u);
  EXPECT_EQ(h.engine->scheduler().blocks().num_free(), 16);
}

TEST(Cancel, ARefusedRequestIsNotReportedAndUnknownIdsAreIgnored) {
  FakeRunnerConfig rc;
  SingleRankCommunicator comm;
  auto h = make_harness(rc, options_with_blocks(rc, 64, 8, 8, 4096), comm);
  EngineRequest bad;
  bad.id = 7;
  bad.prompt = {1};
  bad.max_new_tokens = 0;  // refused at add
  h.engine->add(std::move(bad));
  EXPECT_EQ(h.engine->pending(), 1u);
  h.engine->cancel(7);
  h.engine->cancel(12345);
  EXPECT_EQ(h.engine->pending(), 0u);
}

}  // namespace
}  // namespace tpbench
