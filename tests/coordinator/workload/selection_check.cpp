#include "selection_check.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>

#include "coordinator/workload/sharegpt_sampler.hpp"
#include "dataset_test_util.hpp"

namespace tpbench::testing {
namespace {

// What the C++ sampler chose, in the reference's shape.
nlohmann::json chosen_of(const SampledRequests& s) {
  nlohmann::json chosen = nlohmann::json::array();
  for (size_t i = 0; i < s.requests.size(); ++i) {
    chosen.push_back({s.source_records[i], s.requests[i].prompt_len, s.requests[i].output_len});
  }
  return chosen;
}

// Encodes on several threads, in uneven slices, like encode_parallel does.
BatchEncoder threaded_encoder(const Tokenizer& tokenizer) {
  return [&tokenizer](const std::vector<std::string_view>& texts, bool add_bos) {
    std::vector<std::vector<int32_t>> out(texts.size());
    std::vector<std::thread> threads;
    const size_t parts = 3;
    for (size_t p = 0; p < parts; ++p) {
      threads.emplace_back([&, p] {
        for (size_t i = p; i < texts.size(); i += parts)
          out[i] = tokenizer.encode(texts[i], add_bos);
      });
    }
    for (auto& t : threads) t.join();
    return out;
  };
}

}  // namespace

void expect_lmdeploy_selection(const std::string& dataset_path, const Tokenizer& tokenizer,
                               const std::vector<Selection>& selections) {
  const ShareGptDataset dataset = load_sharegpt(dataset_path);
  nlohmann::json lens = nlohmann::json::object();
  for (const ShareGptConversation& c : dataset.conversations) {
    lens[std::to_string(c.record)] = {{"prompt", tokenizer.encode(c.prompt, true).size()},
                                      {"completion", tokenizer.encode(c.completion, true).size()}};
  }
  TempDir dir;
  const std::string lens_path = dir.write("lens.json", lens.dump());
  for (const Selection& sel : selections) {
    std::string args = "select " + dataset_path + " " + lens_path + " " + std::to_string(sel.seed) +
                       " " + std::to_string(sel.num_prompts);
    if (sel.fixed_output_len) args += " " + std::to_string(*sel.fixed_output_len);
    const auto expected = nlohmann::json::parse(testing::run_reference(args));
    const SampledRequests got = sample_sharegpt(
        dataset, {sel.num_prompts, sel.fixed_output_len, sel.seed}, threaded_encoder(tokenizer));
    const std::string what = dataset_path + " seed " + std::to_string(sel.seed) + " n " +
                             std::to_string(sel.num_prompts) + " fixed " +
                             (sel.fixed_output_len ? std::to_string(*sel.fixed_output_len) : "-");
    ASSERT_FALSE(expected["chosen"].empty()) << what;
    EXPECT_EQ(chosen_of(got), expected["chosen"]) << what;
    EXPECT_EQ(got.examined, expected["examined"].get<size_t>()) << what;
    EXPECT_EQ(got.rejected, got.examined - got.requests.size()) << what;
    EXPECT_EQ(got.eligible, dataset.conversations.size()) << what;
    for (size_t i = 0; i < got.requests.size(); ++i) {
      const WorkloadRequest& r = got.requests[i];
      ASSERT_EQ(r.id, i);
      ASSERT_EQ(r.prompt_ids.size(), static_cast<size_t>(r.prompt_len));
    }
    if (!got.requests.empty()) {
      const auto it =
          std::find_if(dataset.conversations.begin(), dataset.conversations.end(),
                       [&](const auto& c) { return c.record == got.source_records[0]; });
      EXPECT_EQ(got.requests[0].prompt_ids, tokenizer.encode(it->prompt, true)) << what;
    }
  }
}

}  // namespace tpbench::testing
