// build_workload end to end with the real Llama 2 tokenizer (tokenizer).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <numeric>

#include "common/error.hpp"
#include "coordinator/workload/workload.hpp"
#include "dataset_test_util.hpp"
#include "selection_check.hpp"

namespace tpbench {
namespace {

using testing::TempDir;

TEST(ShareGptSampling, MatchesLMDeployWithLlama2Tokenizer) {
  const std::string perf = testing::shared_data("sharegpt-perf-1440.json");
  const std::string multiturn = testing::shared_data("sharegpt-365conv-multiturn-noid.json");
  TPBENCH_REQUIRE_FILE(perf);
  TPBENCH_REQUIRE_FILE(multiturn);
  const std::unique_ptr<Tokenizer> llama2 =
      load_tokenizer(testing::project_data("tokenizers/llama2"));
  testing::expect_lmdeploy_selection(
      perf, *llama2, {{0, 1000, std::nullopt}, {42, 5000, std::nullopt}, {-3, 100, 512}});
  testing::expect_lmdeploy_selection(
      multiturn, *llama2,
      {{0, 1000, std::nullopt}, {(int64_t{1} << 40) + 7, 100, std::nullopt}, {1, 300, 4}});
}

RunOptions llama2_options(const std::string& dataset) {
  RunOptions o;
  o.dataset_path = dataset;
  o.engine.model_dir = testing::project_data("tokenizers/llama2");
  return o;
}

int64_t total_prompt(const Workload& w) {
  return std::accumulate(w.requests.begin(), w.requests.end(), int64_t{0},
                         [](int64_t s, const WorkloadRequest& r) { return s + r.prompt_len; });
}
int64_t total_output(const Workload& w) {
  return std::accumulate(w.requests.begin(), w.requests.end(), int64_t{0},
                         [](int64_t s, const WorkloadRequest& r) { return s + r.output_len; });
}

// The GPU benchmark's workload (docs/PERFORMANCE.md): 1000 requests from sharegpt-perf-1440.json, seed 0.
TEST(BuildWorkload, DesignBenchmarkWorkload) {
  const std::string perf = testing::shared_data("sharegpt-perf-1440.json");
  TPBENCH_REQUIRE_FILE(perf);
  RunOptions o = llama2_options(perf);
  o.num_prompts = 1000;
  const Workload w = build_workload(o);
  ASSERT_EQ(w.requests.size(), 1000u);
  EXPECT_EQ(total_prompt(w), 246425);
  EXPECT_EQ(total_output(w), 214202);
  EXPECT_EQ(w.dataset_records, 1440u);
  EXPECT_EQ(w.eligible, 1440u);
  EXPECT_EQ(w.examined, w.requests.size() + w.rejected);
  EXPECT_EQ(w.tokenizer_kind, "sentencepiece");
  for (size_t i = 0; i < w.requests.size(); ++i) {
    ASSERT_EQ(w.requests[i].id, i);
    ASSERT_EQ(w.requests[i].prompt_ids.front(), 1);  // BOS
  }
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buf, &size);
  print_workload_summary(w, o, out);
  std::fclose(out);
  const std::string summary(buf, size);
  std::free(buf);
  EXPECT_NE(summary.find("#Input tokens: 246425\n"), std::string::npos) << summary;
  EXPECT_NE(summary.find("#Output tokens: 214202\n"), std::string::npos) << summary;
}

TEST(BuildWorkload, RandomAndTokenIdsModes) {
  const std::string multiturn = testing::shared_data("sharegpt-365conv-multiturn-noid.json");
  TPBENCH_REQUIRE_FILE(multiturn);
  RunOptions o = llama2_options(multiturn);
  o.dataset_name = DatasetName::kRandom;
  o.num_prompts = 50;
  o.random_input_len = 300;
  o.random_output_len = 40;
  o.random_range_ratio = 0.5;
  const Workload w = build_workload(o);
  ASSERT_EQ(w.requests.size(), 50u);
  for (const WorkloadRequest& r : w.requests) {
    EXPECT_GE(r.prompt_len, 150);
    EXPECT_LE(r.prompt_len, 300);
    EXPECT_GE(r.output_len, 20);
    EXPECT_LE(r.output_len, 40);
    EXPECT_EQ(r.prompt_ids.front(), 1);
  }
  const Workload again = build_workload(o);
  for (size_t i = 0; i < w.requests.size(); ++i) {
    EXPECT_EQ(w.requests[i].prompt_ids, again.requests[i].prompt_ids);
  }

  TempDir dir;
  RunOptions t;
  t.dataset_name = DatasetName::kTokenIds;
  t.dataset_path = dir.write("ids.jsonl", "{\"input_ids\": [1, 2, 3], \"output_len\": 4}\n");
  t.engine.model_dir = "/nonexistent";  // no tokenizer needed
  t.num_prompts = 1;
  const Workload ids = build_workload(t);
  ASSERT_EQ(ids.requests.size(), 1u);
  EXPECT_EQ(ids.tokenizer_kind, "");
}

// The Llama 2 tokenizer (32000 ids) beside a config.json whose vocabulary is smaller: the
// prompts hold ids the model has no embedding for.
TEST(BuildWorkload, TokenizerLargerThanVocabSizeIsBadInput) {
  TempDir model;
  std::filesystem::copy_file(testing::project_data("tokenizers/llama2/tokenizer.model"),
                             model.file("tokenizer.model"));
  RunOptions o = llama2_options(testing::project_data("sharegpt/sharegpt-v3-50conv-1kprompt.json"));
  o.engine.model_dir = model.file("");
  o.dataset_name = DatasetName::kRandom;
  o.num_prompts = 4;
  o.random_input_len = 64;
  o.random_output_len = 8;
  model.write("config.json", "{\"vocab_size\": 1000}");
  try {
    build_workload(o);
    ADD_FAILURE() << "prompts of a 32000-id tokenizer passed vocab_size 1000";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("the tokenizer (sentencepiece, 32000 ids) is larger than vocab_size 1000 of"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("config.json"), std::string::npos) << m;
    EXPECT_NE(m.find("'s prompt holds token id "), std::string::npos) << m;
  }
  model.write("config.json", "{\"vocab_size\": 32000}");
  EXPECT_EQ(build_workload(o).requests.size(), 4u);
}

TEST(BuildWorkload, BadModelDir) {
  RunOptions o = llama2_options(testing::project_data("sharegpt/sharegpt-v3-50conv-1kprompt.json"));
  o.engine.model_dir = "/nonexistent-model-dir";
  EXPECT_THROW(build_workload(o), InputError);
  // Only single-turn records: nothing to sample.
  RunOptions single =
      llama2_options(testing::project_data("sharegpt/sharegpt-v3-500-first-prompts.json"));
  EXPECT_THROW(build_workload(single), InputError);
}

}  // namespace
}  // namespace tpbench
