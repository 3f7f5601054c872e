// Decode-step time of CudaModelRunner (not a test; scripts/bench_engine.sh, device_check.sh).
// usage: bench_cuda_runner MODEL_DIR DTYPE DUMMY(0|1) PROMPT_LEN DECODE_STEPS GRAPHS(0|1) BATCH...
//          [--decode-attention auto|scalar|vector] [--allreduce-dtype model|fp32] [--nccl-at-tp1]
//          [--breakdown-steps N]
// For each batch size: prefill BATCH sequences of PROMPT_LEN tokens (plans of <= 8192 tokens),
// then DECODE_STEPS plans decoding one token of every sequence, greedy on the GPU as the engine
// runs them (forward: only token ids come back); prints the mean decode step (after 2
// warm-up steps) and the prefill rate, with the variant measured. Then N more decode steps
// (default 8; 0: none) run eagerly with cudaEvents between the kernel groups and print where a
// step's time goes (summed over the layers; ms and % of the step). Events cannot sit inside a
// graph replay, so the breakdown is of eager steps even when the total above is of graphs.
// The flags select the forward pass's variants (engine/cuda/cuda_tuning.hpp; the defaults are
// the engine's), so one binary measures before and after in one run. TP 1 (one GPU);
// --nccl-at-tp1 runs the all-reduces through a one-rank NCCL communicator, as TP > 1 would.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cuda/cuda_model_runner.hpp"
#include "engine/cuda/cuda_tuning.hpp"
#include "engine/cuda/step_timer.hpp"
#include "tests/engine/scenario.hpp"

namespace {

constexpr const char* kUsage =
    "usage: bench_cuda_runner MODEL_DIR DTYPE DUMMY(0|1) PROMPT_LEN DECODE_STEPS GRAPHS(0|1) "
    "BATCH... [--decode-attention auto|scalar|vector] [--allreduce-dtype model|fp32] "
    "[--nccl-at-tp1] [--breakdown-steps N]\n";

struct BenchArgs {
  std::vector<std::string> positional;
  tpbench::CudaTuning tuning;
  int breakdown_steps = 8;
};

int parse_count(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n < 0 || n > 1'000'000)
    throw tpbench::InputError(flag + " " + value + ": expected a count >= 0");
  return static_cast<int>(n);
}

BenchArgs parse_args(int argc, char** argv) {
  BenchArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      a.positional.push_back(arg);
      continue;
    }
    if (arg == "--nccl-at-tp1") {
      a.tuning.nccl_at_tp1 = true;
      continue;
    }
    if (i + 1 >= argc) throw tpbench::InputError(arg + ": needs a value");
    const std::string value = argv[++i];
    if (arg == "--decode-attention") {
      a.tuning.decode_attention = tpbench::parse_decode_attention_kernel(arg, value);
    } else if (arg == "--allreduce-dtype") {
      a.tuning.all_reduce = tpbench::parse_all_reduce_dtype(arg, value);
    } else if (arg == "--breakdown-steps") {
      a.breakdown_steps = parse_count(arg, value);
    } else {
      throw tpbench::InputError(arg + ": unknown flag");
    }
  }
  if (a.positional.size() < 7) throw tpbench::InputError("missing arguments");
  return a;
}

void print_breakdown(const tpbench::StepTimer& timer, int batch, int context, double wall_s) {
  using tpbench::StepPhase;
  const int n = std::max(timer.steps(), 1);
  const double step_ms = timer.total_ms() / n;
  std::printf(
      "breakdown batch %d context %d (eager, mean of %d steps): %.3f ms/step by events, "
      "%.3f ms/step wall\n",
      batch, context, timer.steps(), step_ms, 1e3 * wall_s / n);
  for (int p = 0; p < static_cast<int>(StepPhase::kCount); ++p) {
    const auto phase = static_cast<StepPhase>(p);
    const double ms = timer.total_ms(phase) / n;
    std::printf("  breakdown batch %d %-14s %8.3f ms %5.1f%%\n", batch,
                tpbench::step_phase_name(phase), ms, step_ms > 0 ? 100.0 * ms / step_ms : 0.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tpbench;
  using Clock = std::chrono::steady_clock;
  BenchArgs args;
  try {
    args = parse_args(argc, argv);
  } catch (const InputError& e) {
    std::fprintf(stderr, "bench_cuda_runner: %s\n%s", e.what(), kUsage);
    return 2;
  }
  const std::vector<std::string>& pos = args.positional;
  const int prompt = std::atoi(pos[3].c_str()), steps = std::atoi(pos[4].c_str());
  const bool graphs = std::atoi(pos[5].c_str()) != 0;
  std::vector<int> batches;
  for (size_t i = 6; i < pos.size(); ++i) batches.push_back(std::atoi(pos[i].c_str()));
  int max_batch = 1;
  for (int b : batches) max_batch = std::max(max_batch, b);
  EngineOptions options;
  options.backend = Backend::kCuda;
  options.model_dir = pos[0];
  const std::optional<DtypeChoice> dtype = enum_from_name<DtypeChoice>(pos[1]);
  if (!dtype) {
    std::fprintf(stderr, "dtype %s: expected %s\n", pos[1].c_str(),
                 enum_choices<DtypeChoice>().c_str());
    return 2;
  }
  options.dtype = *dtype;
  options.dummy_weights = std::atoi(pos[2].c_str()) != 0;
  options.max_batch_size = max_batch;
  // The activations are sized for this (plus the batch): a prompt longer than 8192 is one step.
  options.max_prefill_tokens = std::max(8192, prompt);
  options.cuda_graphs = graphs;
  StepTimer timer;
  CudaTuning tuning = args.tuning;
  tuning.step_timer = &timer;  // inactive but for the breakdown steps
  const std::string variant = describe_tuning(tuning);
  SingleRankCommunicator comm;
  const auto t_load = Clock::now();
  std::unique_ptr<CudaModelRunner> runner_ptr;
  try {
    runner_ptr = std::make_unique<CudaModelRunner>(options, comm, tuning);
  } catch (const InputError& e) {
    std::fprintf(stderr, "bench_cuda_runner: %s\n", e.what());
    return 2;
  }
  CudaModelRunner& runner = *runner_ptr;
  std::printf("# %s (loaded in %.1f s)\n", runner.describe().c_str(),
              std::chrono::duration<double>(Clock::now() - t_load).count());
  const int block_size = 64;
  const int warmup = 2;
  const int breakdown = args.breakdown_steps;
  for (const int batch : batches) {
    const int tokens_per_seq = prompt + steps + warmup + breakdown;
    const int32_t blocks_per_seq = (tokens_per_seq + block_size - 1) / block_size;
    int32_t num_blocks = batch * blocks_per_seq + 1;
    if (num_blocks % 7 == 0) ++num_blocks;
    runner.allocate_kv(num_blocks, block_size);
    test::BlockAllocator blocks(num_blocks, block_size);
    std::vector<test::TestSequence> seqs(batch);
    for (int s = 0; s < batch; ++s) {
      seqs[s].id = s;
      for (int i = 0; i < tokens_per_seq; ++i)
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
      runner.forward_logits(plan, logits);
    }
    const double prefill_s = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::vector<SamplingRow> greedy(batch);
    std::vector<int32_t> tokens;
    auto decode_step = [&] {
      StepPlan plan;
      for (auto& seq : seqs) plan.seqs.push_back(blocks.next_chunk(seq, 1, true));
      const auto t1 = Clock::now();
      runner.forward(plan, greedy, tokens);
      return std::chrono::duration<double>(Clock::now() - t1).count();
    };
    double decode_s = 0;
    for (int step = 0; step < steps + warmup; ++step) {
      const double s = decode_step();
      if (step >= warmup) decode_s += s;
    }
    std::printf(
        "decode_step batch %d context %d graphs %s: %.3f ms/step, %.0f tok/s | prefill %d x %d: "
        "%.0f tok/s | %s\n",
        batch, prompt, graphs ? "on" : "off", 1e3 * decode_s / steps, batch * steps / decode_s,
        batch, prompt, batch * prompt / prefill_s, variant.c_str());
    if (breakdown > 0) {
      timer.reset();
      timer.set_active(true);
      double breakdown_s = 0;
      for (int step = 0; step < breakdown; ++step) breakdown_s += decode_step();
      timer.set_active(false);
      print_breakdown(timer, batch, prompt + steps + warmup, breakdown_s);
    }
    std::fflush(stdout);
  }
  return 0;
}
