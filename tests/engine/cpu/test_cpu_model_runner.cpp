// CpuModelRunner on random tiny models (GQA, MQA, qwen2 biases, tied / untied, F16 / BF16,
// Llama 3 rope scaling): logits against an independent numpy forward pass, and a batch of mixed
// prefill chunks and decodes against each sequence run alone.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "tests/engine/scenario.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

class TinyModel : public ::testing::TestWithParam<std::pair<std::string, std::string>> {
 protected:
  void SetUp() override {
    model_dir_ = test::tiny_model_dir(GetParam().first, GetParam().second);
    EngineOptions options;
    options.max_batch_size = 8;  // the runner reserves its step for this many sequences
    options.model_dir = model_dir_;
    runner_ = std::make_unique<CpuModelRunner>(options, comm_);
  }
  std::string model_dir_;
  SingleRankCommunicator comm_;
  std::unique_ptr<CpuModelRunner> runner_;
};

// tests/engine/cpu/reference_forward.py's logits of every position of `tokens`.
std::vector<float> numpy_logits(const std::string& model_dir, const std::vector<int32_t>& tokens) {
  const std::string out = model_dir + ".ref." + std::to_string(::getpid()) + ".bin";
  std::string cmd = TPBENCH_PYTHON " " TPBENCH_SOURCE_DIR "/tests/engine/cpu/reference_forward.py";
  for (const std::string& arg : {model_dir, out}) {
    cmd += " '";
    cmd += arg;
    cmd += "'";
  }
  for (int32_t t : tokens) cmd += ' ' + std::to_string(t);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out, std::ios::binary);
  std::vector<float> logits;
  float x;
  while (in.read(reinterpret_cast<char*>(&x), 4)) logits.push_back(x);
  std::remove(out.c_str());
  return logits;
}

TEST_P(TinyModel, LogitsMatchNumpyReference) {
  if (!TPBENCH_PYTHON_HAS_NUMPY) GTEST_SKIP() << TPBENCH_PYTHON << " has no numpy";
  const int vocab = runner_->vocab_size();
  runner_->allocate_kv(13, 4);
  test::BlockAllocator blocks(13, 4);
  test::TestSequence seq;
  seq.tokens = {1, 17, 93, 5, 0, 127, 64, 64, 3, 88, 41, 12, 7, 100, 2, 9, 33, 120, 56, 71, 8};
  // Prefill of 9 (logits of the last), a chunk of 5, then decodes; all positions checked.
  const std::vector<float> ref = numpy_logits(model_dir_, seq.tokens);
  ASSERT_EQ(ref.size(), seq.tokens.size() * vocab);
  std::vector<float> logits;
  for (int32_t n : {9, 5, 1, 1, 1, 1, 1, 1, 1}) {
    StepPlan plan;
    plan.seqs.push_back(blocks.next_chunk(seq, n, true));
    runner_->forward_logits(plan, logits);
    ASSERT_EQ(logits.size(), static_cast<size_t>(vocab));
    const int64_t pos = seq.cached - 1;
    EXPECT_LT(test::relative_error(logits.data(), ref.data() + pos * vocab, vocab), 1e-4)
        << "position " << pos;
  }
}

TEST_P(TinyModel, BatchedMixedPlanEqualsEachSequenceAlone) {
  const test::LogitsByPosition alone = test::run_scenario(*runner_, false, 4);
  const test::LogitsByPosition batched = test::run_scenario(*runner_, true, 3);
  ASSERT_EQ(alone.size(), batched.size());
  for (const auto& [key, want] : alone) {
    ASSERT_TRUE(batched.count(key));
    EXPECT_LT(test::relative_error(batched.at(key).data(), want.data(), want.size()), 1e-5)
        << "sequence " << key.first << " position " << key.second;
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, TinyModel, ::testing::ValuesIn(test::tiny_model_variants()),
                         test::FirstAsTestName());

}  // namespace
}  // namespace tpbench
