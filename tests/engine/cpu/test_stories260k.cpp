// stories260K (converted by scripts/convert_llama2c.py) must reproduce, token for token, the ids
// two independent fp32 reference implementations produce greedily from BOS. And the runner's
// ModelRunner seam: forward() samples exactly what sample_token draws from its logits, within
// the step it reserved.
#include <gtest/gtest.h>

#include "common/counter_rng.hpp"
#include "common/error.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "engine/scheduler/sampler.hpp"
#include "tests/engine/golden_greedy.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

class Stories260k : public ::testing::Test {
 protected:
  std::unique_ptr<CpuModelRunner> make_runner(int max_batch = 8, int max_prefill = 8192) {
    EngineOptions options;
    options.max_batch_size = max_batch;  // the runner reserves its step for this many sequences
    options.max_prefill_tokens = max_prefill;
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

// forward() draws each want_logits row with its SamplingRow from the logits forward_logits gives
// for the same plan (a twin runner): greedy rows and sampled ones, over several draw indices.
TEST_F(Stories260k, ForwardSamplesWhatSampleTokenDrawsFromTheLogits) {
  auto runner = make_runner(), twin = make_runner();
  runner->allocate_kv(40, 8);
  twin->allocate_kv(40, 8);
  test::BlockAllocator blocks(40, 8), twin_blocks(40, 8);
  std::vector<test::TestSequence> seqs(3), twin_seqs(3);
  for (int s = 0; s < 3; ++s) {
    seqs[s].id = twin_seqs[s].id = s;
    seqs[s].tokens = twin_seqs[s].tokens = {1, 40 + s, 200 + 3 * s, 7};
  }
  const SamplingParams greedy{};
  const SamplingParams wide{.top_k = 0, .top_p = 0.95f, .temperature = 1.5f, .seed = 3};
  const int vocab = runner->vocab_size();
  std::vector<float> logits;
  std::vector<int32_t> tokens;
  int off_argmax = 0;
  for (uint64_t draw = 0; draw < 12; ++draw) {
    StepPlan plan, twin_plan;
    std::vector<SamplingRow> rows;
    for (int s = 0; s < 3; ++s) {
      const int32_t n = static_cast<int32_t>(seqs[s].tokens.size()) - seqs[s].cached;
      // Sequence 2 feeds one token less at first: a chunk that wants no logits.
      const bool partial = s == 2 && draw == 0;
      plan.seqs.push_back(blocks.next_chunk(seqs[s], partial ? n - 1 : n, !partial));
      twin_plan.seqs.push_back(twin_blocks.next_chunk(twin_seqs[s], partial ? n - 1 : n, !partial));
      if (!partial)
        rows.push_back({s == 0 ? greedy : wide, counter_stream_key(wide.seed, s), draw, {}});
    }
    runner->forward(plan, rows, tokens);
    twin->forward_logits(twin_plan, logits);
    ASSERT_EQ(tokens.size(), rows.size());
    ASSERT_EQ(logits.size(), rows.size() * vocab);
    size_t r = 0;
    for (int s = 0; s < 3; ++s) {
      if (!plan.seqs[s].want_logits) continue;
      const float* row = logits.data() + r * vocab;
      EXPECT_EQ(tokens[r], sample_token(row, vocab, rows[r].params, rows[r].stream_key, draw))
          << "sequence " << s << " draw " << draw;
      off_argmax += tokens[r] != test::argmax(row, vocab);
      seqs[s].tokens.push_back(tokens[r]);
      twin_seqs[s].tokens.push_back(tokens[r]);
      ++r;
    }
  }
  EXPECT_GT(off_argmax, 0) << "sampling never left the greedy path";
}

// The runner reserves its step for max_batch_size sequences and max_prefill_tokens +
// max_batch_size tokens; a plan over either, or rows that do not match the plan, is a broken
// invariant rather than a reallocation mid-step.
TEST_F(Stories260k, PlansBeyondTheReservedStepAreRefused) {
  auto runner = make_runner(/*max_batch=*/2, /*max_prefill=*/5);
  runner->allocate_kv(40, 4);
  test::BlockAllocator blocks(40, 4);
  std::vector<test::TestSequence> seqs(3);
  for (int s = 0; s < 3; ++s) {
    seqs[s].id = s;
    seqs[s].tokens.assign(12, 1 + s);
  }
  std::vector<int32_t> tokens;
  const std::vector<SamplingRow> two(2);
  StepPlan fits;  // 2 sequences, 6 + 1 = 7 tokens: the limit
  fits.seqs.push_back(blocks.next_chunk(seqs[0], 6, true));
  fits.seqs.push_back(blocks.next_chunk(seqs[1], 1, true));
  runner->forward(fits, two, tokens);
  EXPECT_EQ(tokens.size(), 2u);

  StepPlan too_many_tokens;  // 7 + 1 = 8
  too_many_tokens.seqs.push_back(blocks.next_chunk(seqs[2], 7, true));
  too_many_tokens.seqs.push_back(blocks.next_chunk(seqs[1], 1, true));
  EXPECT_THROW(runner->forward(too_many_tokens, two, tokens), InternalError);
  StepPlan too_many_seqs = fits;
  too_many_seqs.seqs.push_back(fits.seqs[0]);
  too_many_seqs.seqs.back().request_id = 9;
  EXPECT_THROW(runner->forward(too_many_seqs, std::vector<SamplingRow>(3), tokens), InternalError);
  EXPECT_THROW(runner->forward(fits, std::vector<SamplingRow>(1), tokens), InternalError);
}

}  // namespace
}  // namespace tpbench
