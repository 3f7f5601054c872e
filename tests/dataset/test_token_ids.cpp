// --dataset-name token-ids: JSON lines run as given.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "coordinator/workload/token_ids_dataset.hpp"
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

}  // namespace
}  // namespace tpbench
