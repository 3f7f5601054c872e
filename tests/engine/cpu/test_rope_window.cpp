// Dynamic (NTK) RoPE scaling, transformers v5's rope_parameters and sliding-window attention:
// config parsing, the per-request base, and CpuModelRunner's logits on contexts past
// max_position_embeddings and past the window against tests/engine/cpu/reference_forward.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "common/error.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/cpu/cpu_model_runner.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/rope_frequencies.hpp"
#include "tests/engine/scenario.hpp"
#include "tests/engine/test_models.hpp"

namespace tpbench {
namespace {

// A llama-shaped config of 4 layers with `extra` fields appended (a leading comma included).
ModelConfig config_with(const std::string& model_type, const std::string& extra) {
  return parse_model_config(R"({"model_type": ")" + model_type + R"(", "hidden_size": 256,
      "intermediate_size": 96, "num_hidden_layers": 4, "num_attention_heads": 2,
      "vocab_size": 128, "max_position_embeddings": 32768, "rope_theta": 1000000.0)" +
                                extra + "}",
                            "config.json");
}

TEST(DynamicRope, ParsedFromRopeScalingOrRopeParameters) {
  ModelConfig legacy =
      config_with("llama", R"(, "rope_scaling": {"type": "dynamic", "factor": 2})");
  EXPECT_EQ(legacy.rope_scaling.type, "dynamic");
  EXPECT_EQ(legacy.rope_scaling.factor, 2.0);
  EXPECT_EQ(legacy.rope_theta, 1e6);
  // v5: rope_parameters carries rope_theta, and wins over the legacy keys.
  ModelConfig v5 = config_with("llama", R"(, "rope_scaling": {"rope_type": "linear", "factor": 3},
      "rope_parameters": {"rope_type": "dynamic", "factor": 4.0, "rope_theta": 50000.0})");
  EXPECT_EQ(v5.rope_scaling.type, "dynamic");
  EXPECT_EQ(v5.rope_scaling.factor, 4.0);
  EXPECT_EQ(v5.rope_theta, 50000.0);
  ModelConfig v5_default =
      config_with("qwen2", R"(, "rope_parameters": {"rope_type": "default", "rope_theta": 7.0})");
  EXPECT_EQ(v5_default.rope_scaling.type, "none");
  EXPECT_EQ(v5_default.rope_theta, 7.0);
  try {
    config_with("llama", R"(, "rope_parameters": {"rope_type": "yarn", "factor": 4.0})");
    FAIL() << "yarn accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("rope_parameters type 'yarn'"), std::string::npos)
        << e.what();
  }
}

TEST(DynamicRope, BaseIsComputedOncePerRequestFromItsPromptLength) {
  // internlm2.5-7b-chat's setting (theta 1e6, factor 2, max 32768, head_dim 128) at 65536
  // prompt tokens: base = 1e6 * (2 * 65536 / 32768 - 1)^(128 / 126) = 1e6 * 3^(64 / 63).
  ModelConfig c = config_with("llama", R"(, "rope_scaling": {"type": "dynamic", "factor": 2})");
  ASSERT_EQ(c.head_dim, 128);
  EXPECT_NEAR(rope_base_for_request(c, 65536), 1e6 * std::pow(3.0, 64.0 / 63.0), 1e-3);
  EXPECT_EQ(rope_base_for_request(c, 32768), 1e6);  // not past max_position_embeddings
  EXPECT_EQ(rope_base_for_request(c, 0), 1e6);
  EXPECT_EQ(rope_inv_freq(c, rope_base_for_request(c, 100)), rope_inv_freq(c));
  const std::vector<float> scaled = rope_inv_freq(c, rope_base_for_request(c, 40000));
  EXPECT_EQ(scaled[0], 1.0f);  // 1 / base^0
  EXPECT_LT(scaled[1], rope_inv_freq(c)[1]);
  // TurboMind scales only with factor > 1.
  ModelConfig one = config_with("llama", R"(, "rope_scaling": {"type": "dynamic", "factor": 1})");
  EXPECT_EQ(rope_base_for_request(one, 65536), 1e6);
  EXPECT_EQ(rope_base_for_request(config_with("llama", ""), 65536), 1e6);
}

TEST(SlidingWindow, MistralSlidesEveryLayerAndDefaultsTo4096) {
  ModelConfig absent = config_with("mistral", "");
  EXPECT_EQ(absent.sliding_window, 4096);
  for (int l = 0; l < 4; ++l) EXPECT_EQ(absent.attention_window(l), 4096);
  ModelConfig off = config_with("mistral", R"(, "sliding_window": null)");
  EXPECT_FALSE(off.has_sliding_window());
  EXPECT_EQ(off.attention_window(0), 0);
  EXPECT_EQ(config_with("mistral", R"(, "sliding_window": 16)").attention_window(3), 16);
  EXPECT_FALSE(config_with("llama", R"(, "sliding_window": 16)").has_sliding_window());
}

TEST(SlidingWindow, Qwen2SlidesOnlyWithUseSlidingWindowFromMaxWindowLayers) {
  // Qwen2.5's configs carry a window that use_sliding_window false switches off.
  ModelConfig off = config_with("qwen2", R"(, "sliding_window": 32, "max_window_layers": 1,
      "use_sliding_window": false)");
  EXPECT_FALSE(off.has_sliding_window());
  ModelConfig on = config_with("qwen2", R"(, "sliding_window": 32, "max_window_layers": 2,
      "use_sliding_window": true)");
  EXPECT_EQ(on.attention_window(0), 0);
  EXPECT_EQ(on.attention_window(1), 0);
  EXPECT_EQ(on.attention_window(2), 32);
  EXPECT_EQ(on.attention_window(3), 32);
  // max_window_layers defaults to 28: none of 4 layers slides.
  EXPECT_FALSE(config_with("qwen2", R"(, "use_sliding_window": true)").has_sliding_window());
  ModelConfig typed = config_with("qwen2", R"(, "sliding_window": 8, "use_sliding_window": true,
      "layer_types": ["sliding_attention", "full_attention", "sliding_attention",
                      "full_attention"])");
  EXPECT_EQ(typed.attention_window(0), 8);
  EXPECT_EQ(typed.attention_window(1), 0);
  EXPECT_EQ(typed.attention_window(2), 8);
  try {
    config_with("qwen2", R"(, "use_sliding_window": true, "layer_types": ["full_attention"])");
    FAIL() << "short layer_types accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("layer_types"), std::string::npos) << e.what();
  }
}

// Tiny models with max_position_embeddings 64 and/or a window of 16, run on 100-token contexts.
std::vector<std::pair<std::string, std::string>> long_context_models() {
  const std::string shape = "--layers 3 --dim 64 --heads 8 --intermediate 96 --vocab 128 ";
  return {
      {"tiny-llama-dynamic2", shape + "--kv-heads 4 --max-position 64 --rope-scaling-dynamic 2 "
                                      "--seed 11"},
      {"tiny-mistral-window16", shape + "--model-type mistral --kv-heads 2 --sliding-window 16 "
                                        "--seed 12"},
      {"tiny-qwen2-window16-from-layer1-dynamic4-v5",
       shape + "--model-type qwen2 --kv-heads 2 --max-position 64 --rope-scaling-dynamic 4 "
               "--rope-parameters --sliding-window 16 --max-window-layers 1 --seed 13"},
  };
}

// reference_forward.py's logits of every position of `tokens`, the request's prompt being the
// first prompt_len of them.
std::vector<float> reference_logits(const std::string& model_dir, int32_t prompt_len,
                                    const std::vector<int32_t>& tokens) {
  const std::string out = model_dir + ".ref." + std::to_string(::getpid()) + ".bin";
  std::string cmd = TPBENCH_PYTHON " " TPBENCH_SOURCE_DIR
                                   "/tests/engine/cpu/reference_forward.py --prompt-len " +
                    std::to_string(prompt_len) + " '" + model_dir + "' '" + out + "'";
  for (int32_t t : tokens) cmd += ' ' + std::to_string(t);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out, std::ios::binary);
  std::vector<float> logits;
  float x;
  while (in.read(reinterpret_cast<char*>(&x), 4)) logits.push_back(x);
  std::remove(out.c_str());
  return logits;
}

class LongContext : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

// Two requests teacher-forced in the same plans, prefilled in chunks then decoded: one with a
// 100-token prompt (past max_position_embeddings: its own dynamic base), one with a 40-token
// prompt that decodes past 64 positions (the plain base throughout, as TurboMind keeps it).
TEST_P(LongContext, LogitsMatchNumpyReferenceWithEachRequestsBase) {
  if (!TPBENCH_PYTHON_HAS_NUMPY) GTEST_SKIP() << TPBENCH_PYTHON << " has no numpy";
  const std::string dir = test::tiny_model_dir(GetParam().first, GetParam().second);
  EngineOptions options;
  options.max_batch_size = 8;  // the runner reserves its step for this many sequences
  options.model_dir = dir;
  SingleRankCommunicator comm;
  CpuModelRunner runner(options, comm);
  EXPECT_EQ(runner.kv_layout(4).max_context,
            runner.config().rope_scaling.type == "dynamic" ? 0 : 2048);
  const int vocab = runner.vocab_size();
  runner.allocate_kv(64, 4);
  test::BlockAllocator blocks(64, 4);

  struct Request {
    test::TestSequence seq;
    int32_t prompt_len;
    std::vector<int32_t> chunks;  // prefill chunks, then decodes of 1
    std::vector<float> ref;
  };
  std::vector<Request> requests(2);
  uint32_t state = 777;
  for (int r = 0; r < 2; ++r) {
    Request& q = requests[r];
    q.seq.id = 10 + r;
    q.prompt_len = r == 0 ? 100 : 40;
    q.chunks = r == 0 ? std::vector<int32_t>{37, 41, 22} : std::vector<int32_t>{40};
    q.chunks.insert(q.chunks.end(), r == 0 ? 12 : 30, 1);
    int32_t total = 0;
    for (int32_t n : q.chunks) total += n;
    for (int32_t i = 0; i < total; ++i) {
      state = state * 1664525u + 1013904223u;
      q.seq.tokens.push_back(static_cast<int32_t>((state >> 8) % vocab));
    }
    q.ref = reference_logits(dir, q.prompt_len, q.seq.tokens);
    ASSERT_EQ(q.ref.size(), q.seq.tokens.size() * vocab);
  }
  std::vector<float> logits;
  for (size_t step = 0; step < 33; ++step) {
    StepPlan plan;
    std::vector<Request*> in_plan;
    for (Request& q : requests) {
      if (step >= q.chunks.size()) continue;
      SequenceChunk c = blocks.next_chunk(q.seq, q.chunks[step], true);
      c.prompt_len = q.prompt_len;
      plan.seqs.push_back(std::move(c));
      in_plan.push_back(&q);
    }
    if (plan.seqs.empty()) break;
    runner.forward_logits(plan, logits);
    ASSERT_EQ(logits.size(), in_plan.size() * vocab);
    for (size_t i = 0; i < in_plan.size(); ++i) {
      const int64_t pos = in_plan[i]->seq.cached - 1;
      EXPECT_LT(test::relative_error(logits.data() + i * vocab,
                                     in_plan[i]->ref.data() + pos * vocab, vocab),
                1e-4)
          << "request " << in_plan[i]->seq.id << " position " << pos;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, LongContext, ::testing::ValuesIn(long_context_models()),
                         test::FirstAsTestName());

}  // namespace
}  // namespace tpbench
