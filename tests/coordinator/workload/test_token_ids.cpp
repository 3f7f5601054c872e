// --dataset-name token-ids: JSON lines run as given.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "coordinator/workload/token_ids_dataset.hpp"
#include "coordinator/workload/vocab_limit.hpp"
#include "dataset_test_util.hpp"

namespace tpbench {
namespace {

using testing::TempDir;

TEST(TokenIds, ReadsFirstNumPromptsLinesInFileOrder) {
  TempDir dir;
  const std::string path =
      dir.write("ids.jsonl",
                "{\"input_ids\": [1, 15043, 3186], \"output_len\": 5}\n"
                "\n"
                "{\"task_id\": 9, \"output_len\": 7, \"input_ids\": [1, 2]}\r\n"
                "{\"input_ids\": [3], \"output_tokens\": 9}\n"
                "this line is never read\n");
  const TokenIdsDataset d = load_token_ids(path, 3);
  ASSERT_EQ(d.requests.size(), 3u);
  EXPECT_EQ(d.lines, 3u);
  EXPECT_EQ(d.requests[0].prompt_ids, (std::vector<int32_t>{1, 15043, 3186}));
  EXPECT_EQ(d.requests[0].prompt_len, 3);
  EXPECT_EQ(d.requests[0].output_len, 5);
  EXPECT_EQ(d.requests[1].id, 1u);
  EXPECT_EQ(d.requests[1].output_len, 7);
  EXPECT_EQ(d.requests[2].output_len, 9);  // TensorRT-LLM's key name
}

TEST(TokenIds, FewerLinesWarns) {
  TempDir dir;
  const std::string path = dir.write("ids.jsonl", "{\"input_ids\": [1], \"output_len\": 1}\n");
  ::testing::internal::CaptureStderr();
  const TokenIdsDataset d = load_token_ids(path, 4);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.requests.size(), 1u);
  EXPECT_NE(err.find("warning"), std::string::npos) << err;
}

TEST(TokenIds, BadLineNamesFileAndLine) {
  const std::string ok = "{\"input_ids\": [1, 2], \"output_len\": 3}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "line 3"},
      {"[1, 2, 3]", "not a JSON object"},
      {"{\"input_ids\": [1, 2], \"output_len\": 3", "line 3"},
      {"{\"output_len\": 3}", "input_ids\" missing"},
      {"{\"input_ids\": [], \"output_len\": 3}", "empty"},
      {"{\"input_ids\": \"1 2\", \"output_len\": 3}", "not a list"},
      {"{\"input_ids\": [1, \"x\"], \"output_len\": 3}", "input_ids[1]"},
      {"{\"input_ids\": [1, -4], \"output_len\": 3}", "input_ids[1]"},
      {"{\"input_ids\": [1, 2.5], \"output_len\": 3}", "input_ids[1]"},
      {"{\"input_ids\": [1]}", "output_len\" missing"},
      {"{\"input_ids\": [1], \"output_len\": 0}", "output_len"},
      {"{\"input_ids\": [1], \"output_len\": \"3\"}", "output_len"},
      {"{\"input_ids\": [1], \"output_len\": 1000000000000}", "out of range [1, 2147483647]"},
  };
  TempDir dir;
  for (const auto& [line, mention] : cases) {
    const std::string path = dir.write("bad.jsonl", ok + "\n" + line + "\n" + ok);
    try {
      load_token_ids(path, 10);
      ADD_FAILURE() << "no error for: " << line;
    } catch (const InputError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(path), std::string::npos) << m;
      EXPECT_NE(m.find("line 3"), std::string::npos) << m;
      EXPECT_NE(m.find(mention), std::string::npos) << line << " -> " << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
  EXPECT_THROW(load_token_ids(dir.write("empty.jsonl", "\n\n"), 10), InputError);
  EXPECT_THROW(load_token_ids(dir.file("missing.jsonl"), 10), InputError);
}

TEST(TokenIds, IdAtOrAboveVocabSizeNamesTheLine) {
  TempDir dir;
  const std::string path = dir.write("ids.jsonl",
                                     "{\"input_ids\": [1, 511], \"output_len\": 2}\n"
                                     "\n"
                                     "{\"input_ids\": [1, 2, 512], \"output_len\": 2}\n");
  const VocabLimit limit{512, "m/config.json"};
  try {
    load_token_ids(path, 10, limit);
    ADD_FAILURE() << "id 512 passed vocab_size 512";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path + ": line 3: input_ids[2] = 512 is not below vocab_size 512 of "
                            "m/config.json"),
              std::string::npos)
        << m;
  }
  EXPECT_EQ(load_token_ids(path, 10, VocabLimit{513, "m/config.json"}).requests.size(), 2u);
  EXPECT_EQ(load_token_ids(path, 10).requests.size(), 2u);  // no config at hand: no check
}

TEST(VocabLimit, ReadsVocabSizeFromConfigJsonWhenThere) {
  TempDir dir;
  RunOptions o;
  o.engine.model_dir = dir.file("");
  EXPECT_FALSE(model_vocab_limit(o).has_value());  // no config.json
  dir.write("config.json", "{\"model_type\": \"gpt2\", \"vocab_size\": 50257}");
  const std::optional<VocabLimit> limit = model_vocab_limit(o);
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(limit->vocab_size, 50257);
  EXPECT_NE(limit->config_path.find("config.json"), std::string::npos);
  dir.write("config.json", "{\"text_config\": {}}");
  EXPECT_FALSE(model_vocab_limit(o).has_value());
  dir.write("config.json", "{\"vocab_size\": 0}");
  EXPECT_THROW(model_vocab_limit(o), InputError);
  dir.write("config.json", "{\"vocab_size\": ");
  EXPECT_THROW(model_vocab_limit(o), InputError);
}

}  // namespace
}  // namespace tpbench
