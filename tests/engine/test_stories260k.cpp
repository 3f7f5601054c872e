// stories260K (converted by scripts/convert_llama2c.py) must reproduce, token for token, the ids
// two independent fp32 reference implementations produce greedily from BOS.
#include <gtest/gtest.h>

#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/scenario.hpp"
#include "engine/comm/single_rank_communicator.hpp"
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

// Feeds [1] + golden[0, prompt_len - 1) in prefill chunks of `chunk` tokens, then decodes
// greedily; every sequence of the batch must continue exactly as the golden ids.
void greedy_batch(CpuModelRunner& runner, const std::vector<int32_t>& prompt_lens,
                  const std::vector<int32_t>& chunks, int block_size) {
  const std::vector<int32_t> golden = test::stories260k_golden_ids();
  ASSERT_EQ(golden.size(), 256u);
  const int32_t total = 1 + static_cast<int32_t>(golden.size());
  runner.allocate_kv(300, block_size);
  test::BlockAllocator blocks(300, block_size);
  std::vector<test::TestSequence> seqs(prompt_lens.size());
  for (size_t s = 0; s < seqs.size(); ++s) {
    seqs[s].id = s;
    seqs[s].tokens.push_back(1);
    seqs[s].tokens.insert(seqs[s].tokens.end(), golden.begin(),
                          golden.begin() + prompt_lens[s] - 1);
  }
  std::vector<float> logits;
  const int vocab = runner.vocab_size();
  for (;;) {
    StepPlan plan;
    std::vector<size_t> order;
    for (size_t s = 0; s < seqs.size(); ++s) {
      test::TestSequence& seq = seqs[s];
      const int32_t fed = static_cast<int32_t>(seq.tokens.size());
      if (fed == total) continue;  // every token generated and fed back
      const int32_t n = std::min(chunks[s], fed - seq.cached);
      plan.seqs.push_back(blocks.next_chunk(seq, n, seq.cached + n == fed));
      order.push_back(s);
    }
    if (plan.seqs.empty()) break;
    runner.forward(plan, logits);
    size_t row = 0;
    for (size_t i = 0; i < plan.seqs.size(); ++i) {
      if (!plan.seqs[i].want_logits) continue;
      test::TestSequence& seq = seqs[order[i]];
      const int32_t next = test::argmax(logits.data() + row * vocab, vocab);
      const size_t index = seq.tokens.size() - 1;  // golden[index] follows tokens[0..index]
      ASSERT_EQ(next, golden[index]) << "sequence " << order[i] << " at generated token " << index;
      seq.tokens.push_back(next);
      ++row;
    }
    ASSERT_EQ(row * vocab, logits.size());
  }
}

TEST_F(Stories260k, GreedyFromBosMatchesGolden) {
  auto runner = make_runner();
  greedy_batch(*runner, {1}, {1}, 16);
}

TEST_F(Stories260k, ChunkedPrefillThenGreedyMatchesGolden) {
  auto runner = make_runner();
  greedy_batch(*runner, {151}, {13}, 16);
}

TEST_F(Stories260k, BatchedMixedPrefillAndDecodeMatchGolden) {
  auto runner = make_runner();
  // Block size 5: chunks and blocks do not line up.
  greedy_batch(*runner, {1, 40, 100, 7}, {1, 7, 64, 3}, 5);
}

}  // namespace
}  // namespace tpbench
