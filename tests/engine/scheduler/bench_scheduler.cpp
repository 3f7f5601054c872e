// Host overhead of the batched engine per step (scheduling, plan building, sampling), with a
// runner whose forward pass costs nothing but the cpu runner's host sampling: closed loop at a
// fixed concurrency, Llama-2 vocabulary.
//   bench_scheduler [concurrency=256] [steps=400] [top_k=1] [top_p=0.8] [temperature=0.8]
//                   [vocab=32000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "engine/scheduler/sampler.hpp"
#include "engine_harness.hpp"

namespace {

class NullRunner final : public tpbench::ModelRunner {
 public:
  explicit NullRunner(int32_t vocab) : vocab_(vocab) {
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    pattern_.resize(static_cast<size_t>(vocab) * 8);
    for (float& x : pattern_) x = normal(rng);
  }
  int32_t vocab_size() const override { return vocab_; }
  tpbench::KvLayout kv_layout(int) const override { return {1 << 20, 4096, {}}; }
  int64_t kv_budget_bytes(double) const override { return int64_t{1} << 34; }  // 16384 blocks
  void allocate_kv(int32_t, int) override {}
  // Samples as the cpu runner does, from logits it fills once (a real runner computes them).
  void forward(const tpbench::StepPlan&, const std::vector<tpbench::SamplingRow>& rows,
               std::vector<int32_t>& tokens) override {
    if (logits_.size() < rows.size() * vocab_) {
      const size_t had = logits_.size() / vocab_;
      logits_.resize(rows.size() * vocab_);
      for (size_t r = had; r < rows.size(); ++r)
        std::copy_n(pattern_.begin() + (r % 8) * vocab_, vocab_, logits_.begin() + r * vocab_);
    }
    tpbench::sample_rows(logits_.data(), vocab_, rows, tokens);
  }
  std::string describe() const override { return "null"; }

 private:
  int32_t vocab_;
  std::vector<float> pattern_;
  std::vector<float> logits_;
};

}  // namespace

int main(int argc, char** argv) {
  const int concurrency = argc > 1 ? std::atoi(argv[1]) : 256;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 400;
  tpbench::SamplingParams sp;
  sp.top_k = argc > 3 ? std::atoi(argv[3]) : 1;
  sp.top_p = argc > 4 ? static_cast<float>(std::atof(argv[4])) : 0.8f;
  sp.temperature = argc > 5 ? static_cast<float>(std::atof(argv[5])) : 0.8f;
  const int32_t vocab = argc > 6 ? std::atoi(argv[6]) : 32000;

  tpbench::SingleRankCommunicator comm;
  tpbench::EngineOptions o;
  o.max_batch_size = concurrency;
  o.max_prefill_tokens = 8192;
  auto engine = tpbench::make_batched_engine(std::make_unique<NullRunner>(vocab), o, comm);
  std::mt19937 rng(0);
  uint64_t next_id = 0;
  auto add_one = [&] {
    tpbench::EngineRequest r;
    r.id = next_id++;
    r.prompt.resize(64 + rng() % 900);
    for (auto& t : r.prompt) t = static_cast<int32_t>(rng() % vocab);
    r.max_new_tokens = 16 + static_cast<int32_t>(rng() % 600);
    r.sampling = sp;
    r.sampling.seed = 0;
    engine->add(std::move(r));
  };
  for (int i = 0; i < concurrency; ++i) add_one();
  int64_t tokens = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    tpbench::StepResult r = engine->step();
    for (const auto& t : r.tokens) {
      ++tokens;
      if (t.finished) add_one();  // closed loop
    }
  }
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto st = engine->stats();
  std::printf(
      "concurrency %d, top_k %d, top_p %.2f, temperature %.2f: %d steps, %lld tokens, "
      "%.1f us/step host overhead, %.2f us/token; prefill %lld, decode %lld tokens\n",
      concurrency, sp.top_k, sp.top_p, sp.temperature, steps, static_cast<long long>(tokens),
      1e6 * sec / steps, 1e6 * sec / tokens, static_cast<long long>(st.prefill_tokens),
      static_cast<long long>(st.decode_tokens));
  return 0;
}
