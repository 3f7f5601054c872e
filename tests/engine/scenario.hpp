#pragma once
// Hand-made step plans for driving a ModelRunner directly (no scheduler): a simple block
// allocator that hands out blocks in a scrambled order, and a fixed mixed prefill/decode
// schedule whose logits can be compared between batched / alone / TP runs.
#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "engine/model_runner.hpp"

namespace tpbench::test {

struct TestSequence {
  uint64_t id = 0;
  std::vector<int32_t> tokens;  // everything fed so far and to be fed
  int32_t cached = 0;           // tokens already in the KV cache
  std::vector<int32_t> blocks;
};

class BlockAllocator {
 public:
  // Blocks are handed out from the back of a scrambled list, so tables are not 0, 1, 2, ...
  BlockAllocator(int32_t num_blocks, int block_size);
  // A chunk feeding the next n tokens of seq (growing its block table); advances seq.cached.
  SequenceChunk next_chunk(TestSequence& seq, int32_t n, bool want_logits);
  int block_size() const { return block_size_; }

 private:
  std::vector<int32_t> free_;
  int block_size_;
};

// Logits keyed by (sequence index, position of the token whose logits they are).
using LogitsByPosition = std::map<std::pair<int, int32_t>, std::vector<float>>;

// Runs a plan and gives the logits of its want_logits seqs, plan order: a runner's concrete
// forward_logits (the ModelRunner seam returns sampled ids only).
using ForwardLogits = std::function<void(const StepPlan&, std::vector<float>&)>;

// Three sequences (prompts of 5, 19 and 40 pseudo-random tokens, 6 teacher-forced decode steps
// each) through `runner`. batched: all in the same plans, prefills in chunks of 8 starting at
// different steps, so plans mix prefill chunks and decodes; otherwise one sequence at a time,
// whole-prompt prefill. Allocates the runner's KV cache itself.
LogitsByPosition run_scenario(ModelRunner& runner, const ForwardLogits& forward_logits,
                              bool batched, int block_size);

// The same through Runner::forward_logits (CpuModelRunner, CudaModelRunner).
template <class Runner>
LogitsByPosition run_scenario(Runner& runner, bool batched, int block_size) {
  return run_scenario(
      runner,
      [&runner](const StepPlan& plan, std::vector<float>& logits) {
        runner.forward_logits(plan, logits);
      },
      batched, block_size);
}

}  // namespace tpbench::test
