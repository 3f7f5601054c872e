#pragma once
// Builds a BatchedEngine over a FakeModelRunner and runs request sets to completion,
// checking the per-request token stream contract on the way.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "engine/comm/single_rank_communicator.hpp"
#include "engine/scheduler/batched_engine_impl.hpp"
#include "fake_model_runner.hpp"

namespace tpbench::testing {

struct Harness {
  FakeModelRunner* runner = nullptr;  // owned by engine
  std::unique_ptr<BatchedEngine> engine;
};

inline Harness make_harness(const FakeRunnerConfig& rc, const EngineOptions& options,
                            Communicator& comm) {
  auto runner = std::make_unique<FakeModelRunner>(rc);
  Harness h;
  h.runner = runner.get();
  h.engine = std::make_unique<BatchedEngine>(std::move(runner), options, comm);
  return h;
}

// Options whose cache holds exactly `blocks` blocks of the fake runner.
inline EngineOptions options_with_blocks(const FakeRunnerConfig& rc, int64_t blocks, int block_size,
                                         int max_batch, int max_prefill) {
  EngineOptions o;
  o.cache_block_seq_len = block_size;
  o.kv_cache_bytes = blocks * rc.bytes_per_block;
  o.max_batch_size = max_batch;
  o.max_prefill_tokens = max_prefill;
  return o;
}

struct RunOutcome {
  std::map<uint64_t, std::vector<int32_t>> tokens;
  std::map<uint64_t, std::string> failures;
  int64_t steps = 0;
};

// Adds `requests` (the ones with arrival step s before step s), then steps until nothing is
// pending. Fails the test when a token follows a finished one, or when `max_steps` pass.
inline RunOutcome run_to_completion(BatchedEngine& engine, std::vector<EngineRequest> requests,
                                    const std::vector<int64_t>& arrival_step, int64_t max_steps) {
  RunOutcome out;
  std::map<uint64_t, int32_t> want;
  std::map<uint64_t, bool> finished;
  size_t next = 0;
  while (next < requests.size() || engine.pending() > 0) {
    while (next < requests.size() && (arrival_step.empty() || arrival_step[next] <= out.steps)) {
      want[requests[next].id] = requests[next].max_new_tokens;
      engine.add(std::move(requests[next]));
      ++next;
    }
    StepResult r = engine.step();
    ++out.steps;
    for (const auto& t : r.tokens) {
      EXPECT_FALSE(finished[t.request_id]) << "token after the finish of " << t.request_id;
      auto& seq = out.tokens[t.request_id];
      seq.push_back(t.token);
      EXPECT_EQ(t.finished, static_cast<int32_t>(seq.size()) == want[t.request_id])
          << "request " << t.request_id << " token " << seq.size();
      finished[t.request_id] = t.finished;
    }
    for (const auto& f : r.failures) out.failures[f.request_id] = f.reason;
    if (out.steps > max_steps) {
      ADD_FAILURE() << "no completion after " << max_steps << " steps; pending "
                    << engine.pending();
      break;
    }
  }
  return out;
}

inline std::vector<EngineRequest> random_requests(std::mt19937& rng, int n, int max_prompt,
                                                  int max_new, int32_t vocab, uint64_t first_id) {
  std::vector<EngineRequest> reqs;
  for (int i = 0; i < n; ++i) {
    EngineRequest r;
    r.id = first_id + static_cast<uint64_t>(i);
    r.prompt.resize(1 + rng() % max_prompt);
    for (auto& t : r.prompt) t = static_cast<int32_t>(rng() % vocab);
    r.max_new_tokens = 1 + static_cast<int32_t>(rng() % max_new);
    reqs.push_back(std::move(r));
  }
  return reqs;
}

}  // namespace tpbench::testing
