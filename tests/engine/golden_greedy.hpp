#pragma once
// Drives a ModelRunner with forward_logits (the cpu or the cuda one) through stories260K greedily
// from BOS with hand-made plans (no scheduler) and checks every token against the golden ids: the
// CPU runner's and the CUDA runner's end-to-end check of a forward pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "engine/model_runner.hpp"
#include "tests/engine/scenario.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench::test {

// [1] + golden ids fed in prefill chunks of `chunk` tokens (decode after the prompt), as many
// sequences as prompt_lens in the same plans; every greedy token must equal the golden one.
template <class Runner>
void expect_golden_greedy(Runner& runner, const std::vector<int32_t>& prompt_lens,
                          const std::vector<int32_t>& chunks, int block_size) {
  const std::vector<int32_t> golden = stories260k_golden_ids();
  ASSERT_EQ(golden.size(), 256u);
  const int32_t total = 1 + static_cast<int32_t>(golden.size());
  runner.allocate_kv(300, block_size);
  BlockAllocator blocks(300, block_size);
  std::vector<TestSequence> seqs(prompt_lens.size());
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
      TestSequence& seq = seqs[s];
      const int32_t fed = static_cast<int32_t>(seq.tokens.size());
      if (fed == total) continue;
      const int32_t n = std::min(chunks[s], fed - seq.cached);
      plan.seqs.push_back(blocks.next_chunk(seq, n, seq.cached + n == fed));
      order.push_back(s);
    }
    if (plan.seqs.empty()) break;
    runner.forward_logits(plan, logits);
    size_t row = 0;
    for (size_t i = 0; i < plan.seqs.size(); ++i) {
      if (!plan.seqs[i].want_logits) continue;
      TestSequence& seq = seqs[order[i]];
      const int32_t next = argmax(logits.data() + row * vocab, vocab);
      const size_t index = seq.tokens.size() - 1;
      ASSERT_EQ(next, golden[index]) << "sequence " << order[i] << " at generated token " << index;
      seq.tokens.push_back(next);
      ++row;
    }
    ASSERT_EQ(row * vocab, logits.size());
  }
}

}  // namespace tpbench::test
