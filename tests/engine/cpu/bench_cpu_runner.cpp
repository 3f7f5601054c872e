// Prefill and decode throughput of CpuModelRunner (not a test; scripts/bench_cpu_engine.sh).
// usage: bench_cpu_runner MODEL_DIR BATCH PROMPT_LEN DECODE_STEPS
// One plan prefills BATCH sequences of PROMPT_LEN tokens; then DECODE_STEPS plans each decode
// one token of every sequence. Prints tokens/s of both phases.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/scenario.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bench_cpu_runner MODEL_DIR BATCH PROMPT_LEN DECODE_STEPS\n");
    return 2;
  }
  using namespace tpbench;
  using Clock = std::chrono::steady_clock;
  const int batch = std::atoi(argv[2]), prompt = std::atoi(argv[3]), steps = std::atoi(argv[4]);
  EngineOptions options;
  options.model_dir = argv[1];
  options.max_batch_size = std::max(batch, 1);
  options.max_prefill_tokens = std::max(batch * prompt, 1);
  SingleRankCommunicator comm;
  CpuModelRunner runner(options, comm);
  const int block_size = 16;
  const int32_t blocks_per_seq = (prompt + steps + block_size - 1) / block_size;
  int32_t num_blocks = batch * blocks_per_seq + 1;
  if (num_blocks % 7 == 0) ++num_blocks;
  runner.allocate_kv(num_blocks, block_size);
  test::BlockAllocator blocks(num_blocks, block_size);
  std::vector<test::TestSequence> seqs(batch);
  for (int s = 0; s < batch; ++s)
    for (int i = 0; i < prompt + steps; ++i)
      seqs[s].tokens.push_back((s * 7919 + i * 104729) % runner.vocab_size());
  std::vector<float> logits;

  StepPlan prefill;
  for (auto& seq : seqs) prefill.seqs.push_back(blocks.next_chunk(seq, prompt, true));
  const auto t0 = Clock::now();
  runner.forward_logits(prefill, logits);
  const double prefill_s = std::chrono::duration<double>(Clock::now() - t0).count();

  double decode_s = 0;
  for (int step = 0; step < steps; ++step) {
    StepPlan plan;
    for (auto& seq : seqs) plan.seqs.push_back(blocks.next_chunk(seq, 1, true));
    const auto t1 = Clock::now();
    runner.forward_logits(plan, logits);
    decode_s += std::chrono::duration<double>(Clock::now() - t1).count();
  }
  std::printf(
      "%s | batch %d | prefill %d tok: %.0f tok/s | decode %d steps: %.0f tok/s (%.2f ms/step)\n",
      runner.describe().c_str(), batch, prompt, batch * prompt / prefill_s, steps,
      batch * steps / decode_s, 1e3 * decode_s / steps);
  return 0;
}
