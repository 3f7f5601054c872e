#include "tests/engine/scenario.hpp"

#include <algorithm>
#include <stdexcept>

namespace tpbench::test {

BlockAllocator::BlockAllocator(int32_t num_blocks, int block_size) : block_size_(block_size) {
  // b -> 7 b + 3 (mod n) is a permutation when 7 does not divide n.
  if (num_blocks % 7 == 0) throw std::logic_error("num_blocks must not be a multiple of 7");
  for (int32_t b = 0; b < num_blocks; ++b) free_.push_back((b * 7 + 3) % num_blocks);
}

SequenceChunk BlockAllocator::next_chunk(TestSequence& seq, int32_t n, bool want_logits) {
  SequenceChunk c;
  c.request_id = seq.id;
  c.start_pos = seq.cached;
  c.tokens.assign(seq.tokens.begin() + seq.cached, seq.tokens.begin() + seq.cached + n);
  while (static_cast<int64_t>(seq.blocks.size()) * block_size_ < seq.cached + n) {
    if (free_.empty()) throw std::logic_error("test block allocator ran out of blocks");
    seq.blocks.push_back(free_.back());
    free_.pop_back();
  }
  c.block_table = seq.blocks;
  c.want_logits = want_logits;
  seq.cached += n;
  return c;
}

namespace {

struct Planned {
  TestSequence seq;
  int32_t prompt_len;
  int start_step;
};

std::vector<Planned> scenario_sequences(int vocab) {
  const int32_t prompts[] = {5, 19, 40};
  const int start_steps[] = {0, 1, 3};
  const int decode_steps = 6;
  std::vector<Planned> out;
  uint32_t state = 12345;
  for (int s = 0; s < 3; ++s) {
    Planned p;
    p.seq.id = 100 + s;
    p.prompt_len = prompts[s];
    p.start_step = start_steps[s];
    for (int32_t i = 0; i < prompts[s] + decode_steps; ++i) {
      state = state * 1664525u + 1013904223u;
      p.seq.tokens.push_back(static_cast<int32_t>((state >> 8) % vocab));
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

LogitsByPosition run_scenario(ModelRunner& runner, const ForwardLogits& forward_logits,
                              bool batched, int block_size) {
  const int vocab = runner.vocab_size();
  std::vector<Planned> seqs = scenario_sequences(vocab);
  const int32_t num_blocks = 71;
  runner.allocate_kv(num_blocks, block_size);
  BlockAllocator blocks(num_blocks, block_size);
  LogitsByPosition result;
  std::vector<float> logits;

  auto run = [&](std::vector<int>& order, StepPlan& plan) {
    forward_logits(plan, logits);
    size_t row = 0;
    for (size_t i = 0; i < plan.seqs.size(); ++i) {
      const SequenceChunk& c = plan.seqs[i];
      if (!c.want_logits) continue;
      const int32_t pos = c.start_pos + static_cast<int32_t>(c.tokens.size()) - 1;
      result[{order[i], pos}].assign(logits.begin() + row * vocab,
                                     logits.begin() + (row + 1) * vocab);
      ++row;
    }
  };

  const int chunk = batched ? 8 : 1 << 20;
  for (int step = 0;; ++step) {
    StepPlan plan;
    std::vector<int> order;
    for (int s = 0; s < 3; ++s) {
      Planned& p = seqs[s];
      const int32_t total = static_cast<int32_t>(p.seq.tokens.size());
      if (p.seq.cached == total) continue;
      if (batched && step < p.start_step) continue;
      if (!batched && s > 0 &&
          seqs[s - 1].seq.cached < static_cast<int32_t>(seqs[s - 1].seq.tokens.size()))
        continue;  // alone: one sequence at a time
      const int32_t n =
          p.seq.cached < p.prompt_len ? std::min(chunk, p.prompt_len - p.seq.cached) : 1;
      const bool want = p.seq.cached + n >= p.prompt_len;
      plan.seqs.push_back(blocks.next_chunk(p.seq, n, want));
      order.push_back(s);
    }
    if (plan.seqs.empty()) break;
    run(order, plan);
  }
  return result;
}

}  // namespace tpbench::test
