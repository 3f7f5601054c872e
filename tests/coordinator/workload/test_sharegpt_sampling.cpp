// sample_sharegpt / sample_random against LMDeploy's algorithm run by CPython on the same
// token lengths (tests/coordinator/workload/lmdeploy_reference.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <tuple>

#include "common/error.hpp"
#include "coordinator/workload/sharegpt_sampler.hpp"
#include "dataset_test_util.hpp"
#include "selection_check.hpp"

namespace tpbench {
namespace {

using testing::Selection;
using testing::TempDir;

const std::vector<Selection> kSelections = {
    {0, 1000, std::nullopt},
    {0, 100, std::nullopt},
    {1, 50, std::nullopt},
    {42, 5000, std::nullopt},
    {(int64_t{1} << 40) + 7, 300, std::nullopt},
    {-7, 200, std::nullopt},
    {0, 1000, 256},
    {42, 64, 4},
    {3, 5000, 2000},
};

TEST(ShareGptSampling, MatchesLMDeployWithWordTokenizer) {
  const std::string perf = testing::shared_data("sharegpt-perf-1440.json");
  const std::string multiturn = testing::shared_data("sharegpt-365conv-multiturn-noid.json");
  TPBENCH_REQUIRE_FILE(perf);
  TPBENCH_REQUIRE_FILE(multiturn);
  testing::WordTokenizer words;
  testing::expect_lmdeploy_selection(perf, words, kSelections);
  testing::expect_lmdeploy_selection(multiturn, words, kSelections);
  testing::expect_lmdeploy_selection(
      testing::project_data("sharegpt/sharegpt-v3-50conv-1kprompt.json"), words,
      {{0, 10, std::nullopt}, {5, 100, std::nullopt}, {9, 20, 100}});
}

ShareGptDataset small_dataset(TempDir& dir,
                              const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& [p, c] : pairs) {
    records.push_back(
        {{"conversations", {{{"from", "human"}, {"value", p}}, {{"from", "gpt"}, {"value", c}}}}});
  }
  return load_sharegpt(dir.write("small.json", records.dump()));
}

TEST(ShareGptSampling, FewerThanAskedWarnsAndGoesOn) {
  TempDir dir;
  const ShareGptDataset d = small_dataset(
      dir,
      {{"one two three four", "a b c d e"}, {"too short", "a b c d e"}, {"w x y z", "1 2 3 4"}});
  testing::WordTokenizer words;
  ::testing::internal::CaptureStderr();
  const SampledRequests s =
      sample_sharegpt(d, {10, std::nullopt, 0}, testing::sequential_encoder(words));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.requests.size(), 2u);
  EXPECT_EQ(s.examined, 3u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_NE(err.find("warning"), std::string::npos) << err;
  EXPECT_NE(err.find("only 2 usable prompts"), std::string::npos) << err;
}

TEST(ShareGptSampling, NoSurvivorIsInputError) {
  TempDir dir;
  const ShareGptDataset d = small_dataset(dir, {{"short", "a b c d e"}, {"x y z w", "no"}});
  testing::WordTokenizer words;
  EXPECT_THROW(sample_sharegpt(d, {10, std::nullopt, 0}, testing::sequential_encoder(words)),
               InputError);
  try {
    sample_sharegpt(d, {10, std::nullopt, 0}, testing::sequential_encoder(words));
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(d.path), std::string::npos) << e.what();
  }
  // --sharegpt-output-len below LMDeploy's minimum, and a non-positive --num-prompts.
  EXPECT_THROW(sample_sharegpt(d, {10, 3, 0}, testing::sequential_encoder(words)), InputError);
  EXPECT_THROW(sample_sharegpt(d, {0, std::nullopt, 0}, testing::sequential_encoder(words)),
               InputError);
}

std::string sampling_error(const ShareGptDataset& d) {
  testing::WordTokenizer words;
  try {
    sample_sharegpt(d, {10, std::nullopt, 0}, testing::sequential_encoder(words));
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

TEST(ShareGptSampling, NoSurvivorSaysWhichRuleDroppedHowMany) {
  TempDir dir;
  std::string words_1100;
  for (int i = 0; i < 1100; ++i) words_1100 += "w ";
  std::string words_1000;
  for (int i = 0; i < 1000; ++i) words_1000 += "w ";
  const ShareGptDataset d = small_dataset(dir, {{"short", "a b c d e"},
                                                {"a b c d", "no"},
                                                {words_1100, "a b c d"},
                                                {words_1000, words_1100},
                                                {"one", "two"}});
  const std::string m = sampling_error(d);
  EXPECT_NE(m.find("5 records, 0 with fewer than 2 turns"), std::string::npos) << m;
  EXPECT_NE(m.find("prompt < 4 tokens: 2, output < 4: 1, prompt > 1024: 1, "
                   "prompt + output > 2048: 1"),
            std::string::npos)
      << m;
}

TEST(ShareGptSampling, OnlyOneTurnConversationsSayTheTwoTurnRule) {
  TempDir dir;
  const std::string path =
      dir.write("one_turn.json",
                R"([{"conversations": [{"from": "human", "value": "a b c d e"}]},
          {"conversations": []}])");
  const std::string m = sampling_error(load_sharegpt(path));
  EXPECT_NE(m.find("all 2 records have fewer than 2 turns"), std::string::npos) << m;
  EXPECT_EQ(m.find("length filters"), std::string::npos) << m;
}

TEST(ShareGptSampling, FixedOutputLengthSkipsTheTotalFilter) {
  TempDir dir;
  std::string long_prompt;
  for (int i = 0; i < 1000; ++i) long_prompt += "w ";  // 1001 tokens with BOS
  const ShareGptDataset d = small_dataset(dir, {{long_prompt, "x"}});
  testing::WordTokenizer words;
  const SampledRequests s = sample_sharegpt(d, {1, 1500, 0}, testing::sequential_encoder(words));
  ASSERT_EQ(s.requests.size(), 1u);
  EXPECT_EQ(s.requests[0].prompt_len, 1001);
  EXPECT_EQ(s.requests[0].output_len, 1500);
  EXPECT_THROW(sample_sharegpt(d, {1, std::nullopt, 0}, testing::sequential_encoder(words)),
               InputError);  // completion "x" is 2 tokens < 4
}

// n words -> n + 1 tokens with the word tokenizer's BOS.
std::string words_text(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "w ";
  return text;
}

TEST(ShareGptSampling, LengthFilterBoundaries) {
  TempDir dir;
  // {prompt tokens, output tokens, kept?} at each edge of LMDeploy's filters.
  const std::vector<std::tuple<int, int, bool>> cases = {
      {4, 4, true},     {3, 4, false},      {4, 3, false},       {1024, 1024, true},
      {1025, 4, false}, {1000, 1048, true}, {1000, 1049, false}, {4, 2044, true},
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [p, o, kept] : cases) pairs.emplace_back(words_text(p - 1), words_text(o - 1));
  const ShareGptDataset d = small_dataset(dir, pairs);
  testing::WordTokenizer words;
  ::testing::internal::CaptureStderr();
  const SampledRequests s =
      sample_sharegpt(d, {100, std::nullopt, 0}, testing::sequential_encoder(words));
  ::testing::internal::GetCapturedStderr();
  std::vector<uint32_t> kept_records;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (std::get<2>(cases[i])) kept_records.push_back(static_cast<uint32_t>(i));
  }
  std::vector<uint32_t> got = s.source_records;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, kept_records);
  for (size_t i = 0; i < s.requests.size(); ++i) {
    const auto& [p, o, kept] = cases[s.source_records[i]];
    EXPECT_EQ(s.requests[i].prompt_len, p);
    EXPECT_EQ(s.requests[i].output_len, o);
  }
}

TEST(RandomSampling, MatchesReferenceAndRepeatsPromptIds) {
  const std::string multiturn = testing::shared_data("sharegpt-365conv-multiturn-noid.json");
  TPBENCH_REQUIRE_FILE(multiturn);
  const ShareGptDataset dataset = load_sharegpt(multiturn);
  testing::WordTokenizer words;
  struct Case {
    int64_t seed;
    int n, input_len, output_len;
    double ratio;
  };
  for (const Case& c :
       {Case{0, 100, 1024, 1024, 0.0}, Case{7, 500, 300, 50, 0.5}, Case{-1, 20, 16, 8, 1.0}}) {
    const SampledRequests got =
        sample_random(dataset, {c.n, c.input_len, c.output_len, c.ratio, c.seed},
                      testing::sequential_encoder(words));
    const auto expected = nlohmann::json::parse(
        testing::run_reference("random " + multiturn + " " + std::to_string(c.seed) + " " +
                               std::to_string(c.n) + " " + std::to_string(c.input_len) + " " +
                               std::to_string(c.output_len) + " " + std::to_string(c.ratio)));
    ASSERT_EQ(got.requests.size(), static_cast<size_t>(c.n));
    EXPECT_EQ(nlohmann::json(got.source_records), expected["records"]) << "seed " << c.seed;
    std::vector<int32_t> in, out;
    for (const WorkloadRequest& r : got.requests) {
      in.push_back(r.prompt_len);
      out.push_back(r.output_len);
      ASSERT_EQ(r.prompt_ids.size(), static_cast<size_t>(r.prompt_len));
    }
    EXPECT_EQ(nlohmann::json(in), expected["input_lens"]) << "seed " << c.seed;
    EXPECT_EQ(nlohmann::json(out), expected["output_lens"]) << "seed " << c.seed;
    // Each prompt is its record's ids, repeated from the start and cut to length.
    for (size_t i = 0; i < got.requests.size(); ++i) {
      const auto it =
          std::find_if(dataset.conversations.begin(), dataset.conversations.end(),
                       [&](const auto& conv) { return conv.record == got.source_records[i]; });
      const std::vector<int32_t> source = words.encode(it->prompt, true);
      const std::vector<int32_t>& ids = got.requests[i].prompt_ids;
      for (size_t t = 0; t < ids.size(); ++t) ASSERT_EQ(ids[t], source[t % source.size()]) << i;
    }
  }
  EXPECT_THROW(sample_random(dataset, {10, 0, 10, 0.0, 0}, testing::sequential_encoder(words)),
               InputError);
  EXPECT_THROW(sample_random(dataset, {10, 10, 10, 1.5, 0}, testing::sequential_encoder(words)),
               InputError);
}

}  // namespace
}  // namespace tpbench
