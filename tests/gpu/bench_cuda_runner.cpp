// Decode-step time of CudaModelRunner (not a test; scripts/bench_engine.sh, device_check.sh).
// usage: bench_cuda_runner MODEL_DIR DTYPE DUMMY(0|1) PROMPT_LEN DECODE_STEPS GRAPHS(0|1) BATCH...
// For each batch size: prefill BATCH sequences of PROMPT_LEN tokens (plans of <= 8192 tokens),
// then DECODE_STEPS plans decoding one token of every sequence, greedy on the GPU as the engine
// runs them (forward_sampled: only token ids come back); prints the mean decode step (after 2
// warm-up steps) and the prefill rate.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cuda/cuda_model_runner.hpp"
#include "tests/engine/scenario.hpp"

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr,
                 "usage: bench_cuda_runner MODEL_DIR DTYPE DUMMY(0|1) PROMPT_LEN DECODE_STEPS "
                 "GRAPHS(0|1) BATCH...\n");
    return 2;
  }
  using namespace tpbench;
  using Clock = std::chrono::steady_clock;
  const int prompt = std::atoi(argv[4]), steps = std::atoi(argv[5]);
  const bool graphs = std::atoi(argv[6]) != 0;
  int max_batch = 1;
  for (int i = 7; i < argc; ++i) max_batch = std::max(max_batch, std::atoi(argv[i]));
  EngineOptions options;
  options.backend = Backend::kCuda;
  options.model_dir = argv[1];
  const std::optional<DtypeChoice> dtype = enum_from_name<DtypeChoice>(argv[2]);
  if (!dtype) {
    std::fprintf(stderr, "dtype %s: expected %s\n", argv[2], enum_choices<DtypeChoice>().c_str());
    return 2;
  }
  options.dtype = *dtype;
  options.dummy_weights = std::atoi(argv[3]) != 0;
  options.max_batch_size = max_batch;
  options.max_prefill_tokens = 8192;
  options.cuda_graphs = graphs;
  SingleRankCommunicator comm;
  const auto t_load = Clock::now();
  CudaModelRunner runner(options, comm);
  std::printf("# %s (loaded in %.1f s)\n", runner.describe().c_str(),
              std::chrono::duration<double>(Clock::now() - t_load).count());
  const int block_size = 64;
  const int warmup = 2;
  for (int a = 7; a < argc; ++a) {
    const int batch = std::atoi(argv[a]);
    const int32_t blocks_per_seq = (prompt + steps + warmup + block_size - 1) / block_size;
    int32_t num_blocks = batch * blocks_per_seq + 1;
    if (num_blocks % 7 == 0) ++num_blocks;
    runner.allocate_kv(num_blocks, block_size);
    test::BlockAllocator blocks(num_blocks, block_size);
    std::vector<test::TestSequence> seqs(batch);
    for (int s = 0; s < batch; ++s) {
      seqs[s].id = s;
      for (int i = 0; i < prompt + steps + warmup; ++i)
        seqs[s].tokens.push_back((s * 7919 + i * 104729) % runner.vocab_size());
    }
    std::vector<float> logits;
    const auto t0 = Clock::now();
    for (int s = 0; s < batch;) {
      StepPlan plan;
      int64_t tokens = 0;
      for (; s < batch && tokens + prompt <= 8192; ++s) {
        plan.seqs.push_back(blocks.next_chunk(seqs[s], prompt, true));
        tokens += prompt;
      }
      if (plan.seqs.empty()) plan.seqs.push_back(blocks.next_chunk(seqs[s++], prompt, true));
      runner.forward(plan, logits);
    }
    const double prefill_s = std::chrono::duration<double>(Clock::now() - t0).count();
    double decode_s = 0;
    const std::vector<SamplingRow> greedy(batch);
    std::vector<int32_t> tokens;
    for (int step = 0; step < steps + warmup; ++step) {
      StepPlan plan;
      for (auto& seq : seqs) plan.seqs.push_back(blocks.next_chunk(seq, 1, true));
      const auto t1 = Clock::now();
      runner.forward_sampled(plan, greedy, tokens);
      if (step >= warmup) decode_s += std::chrono::duration<double>(Clock::now() - t1).count();
    }
    std::printf(
        "decode_step batch %d context %d graphs %s: %.3f ms/step, %.0f tok/s | prefill %d x %d: "
        "%.0f tok/s\n",
        batch, prompt, graphs ? "on" : "off", 1e3 * decode_s / steps, batch * steps / decode_s,
        batch, prompt, batch * prompt / prefill_s);
    std::fflush(stdout);
  }
  return 0;
}
