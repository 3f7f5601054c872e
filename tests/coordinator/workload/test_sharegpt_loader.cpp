// load_sharegpt: real samples against CPython's json, and each kind of bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>

#include "common/error.hpp"
#include "coordinator/workload/sharegpt_dataset.hpp"
#include "dataset_test_util.hpp"

namespace tpbench {
namespace {

using testing::TempDir;

// Same records, same turn counts, byte-identical first two turns as json.load gives.
void expect_same_as_python(const std::string& path) {
  const ShareGptDataset dataset = load_sharegpt(path);
  const auto expected = nlohmann::json::parse(testing::run_reference("texts " + path));
  ASSERT_EQ(dataset.conversations.size(), expected.size()) << path;
  for (size_t i = 0; i < expected.size(); ++i) {
    const ShareGptConversation& c = dataset.conversations[i];
    ASSERT_EQ(c.record, expected[i][0].get<uint32_t>()) << path << " #" << i;
    ASSERT_EQ(c.turns, expected[i][1].get<uint32_t>()) << path << " record " << c.record;
    ASSERT_EQ(c.prompt, expected[i][2].get<std::string>()) << path << " record " << c.record;
    ASSERT_EQ(c.completion, expected[i][3].get<std::string>()) << path << " record " << c.record;
  }
}

TEST(ShareGptLoader, RealSamplesMatchCPythonJson) {
  const std::string multiturn = testing::shared_data("sharegpt-365conv-multiturn-noid.json");
  TPBENCH_REQUIRE_FILE(multiturn);
  expect_same_as_python(multiturn);
  expect_same_as_python(testing::project_data("sharegpt/sharegpt-v3-50conv-1kprompt.json"));
  const ShareGptDataset multi = load_sharegpt(multiturn);
  EXPECT_EQ(multi.records, 365u);
  EXPECT_EQ(multi.conversations.size(), 360u);
}

TEST(ShareGptLoader, SingleTurnRecordsAreCountedButNotEligible) {
  const ShareGptDataset d =
      load_sharegpt(testing::project_data("sharegpt/sharegpt-v3-500-first-prompts.json"));
  EXPECT_EQ(d.records, 500u);
  EXPECT_TRUE(d.conversations.empty());
}

TEST(ShareGptLoader, EscapesAndIdKeysAndOtherKeys) {
  TempDir dir;
  const std::string path = dir.write("escapes.json", R"([
    {"id": "a", "conversations": [{"from": "human", "value": "tab\there \"q\" \\ \u00e9 \ud83d\ude00"},
                                  {"from": "gpt", "value": "lone \ud83d end"}]},
    {"conversation_id": "b", "x": {"nested": [1, 2]}, "conversations": [
        {"from": "human", "value": "p"}, {"from": "gpt", "value": "c"}, {"from": "human", "value": "3rd"}]},
    {"conversations": []}
  ])");
  const ShareGptDataset d = load_sharegpt(path);
  EXPECT_EQ(d.records, 3u);
  ASSERT_EQ(d.conversations.size(), 2u);
  EXPECT_EQ(d.conversations[0].prompt, "tab\there \"q\" \\ \xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(d.conversations[0].completion, "lone \xEF\xBF\xBD end");  // U+FFFD
  EXPECT_EQ(d.conversations[1].record, 1u);
  EXPECT_EQ(d.conversations[1].turns, 3u);
  EXPECT_EQ(d.conversations[1].completion, "c");
}

TEST(ShareGptLoader, UnescapeHandlesSurrogates) {
  char out[64];
  size_t n = 0;
  ASSERT_TRUE(unescape_json_string(R"(a\ud83d\ude00b\udc00\n)", out, &n));
  EXPECT_EQ(std::string(out, n),
            "a\xF0\x9F\x98\x80"
            "b\xEF\xBF\xBD\n");
  EXPECT_FALSE(unescape_json_string(R"(bad \x escape)", out, &n));
  EXPECT_FALSE(unescape_json_string(R"(\u12)", out, &n));
}

// The one-line InputError for `content`, or "" when it loads.
std::string load_error(const std::string& path) {
  try {
    load_sharegpt(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

struct BadCase {
  const char* name;
  const char* json;
  std::vector<std::string> must_mention;
};

TEST(ShareGptLoader, BadInputIsOneLineNamingFileRecordAndField) {
  const std::string turn = R"({"from": "human", "value": "hi"})";
  const std::string good = R"({"conversations": [)" + turn + "," + turn + "]}";
  const std::vector<BadCase> cases = {
      {"not_json", "this is not JSON at all", {}},
      {"truncated", nullptr, {"record 1"}},
      {"truncated_at_end", nullptr, {"record 1"}},
      {"truncated_in_string", nullptr, {"record 1", "truncated"}},
      {"top_object", R"({"conversations": []})", {"top level", "object"}},
      {"top_string", R"("hello")", {"top level"}},
      {"record_not_object", nullptr, {"record 1", "not an object"}},
      {"conversations_missing", nullptr, {"record 1", "conversations", "missing"}},
      {"conversations_not_list", nullptr, {"record 1", "conversations", "not a list"}},
      {"turn_not_object", nullptr, {"record 1", "conversations[1]", "not an object"}},
      {"value_not_string", nullptr, {"record 1", "conversations[0].value", "not a string"}},
      {"value_missing", nullptr, {"record 1", "conversations[0]", "value", "missing"}},
      {"from_missing", nullptr, {"record 1", "conversations[2]", "from", "missing"}},
      {"empty_array", "[]", {"empty"}},
      {"empty_file", "", {}},
  };
  const std::map<std::string, std::string> bodies = {
      {"truncated", "[" + good + ", " + good.substr(0, 36)},
      {"truncated_at_end", "[" + good + ", " + good},
      {"truncated_in_string", "[" + good + ", " + good.substr(0, 45)},
      {"record_not_object", "[" + good + ", [1, 2]]"},
      {"conversations_missing", "[" + good + R"(, {"id": "x"}])"},
      {"conversations_not_list", "[" + good + R"(, {"conversations": "text"}])"},
      {"turn_not_object", "[" + good + R"(, {"conversations": [)" + turn + R"(, "text"]}])"},
      {"value_not_string",
       "[" + good + R"(, {"conversations": [{"from": "human", "value": 7}, )" + turn + "]}]"},
      {"value_missing", "[" + good + R"(, {"conversations": [{"from": "human"}, )" + turn + "]}]"},
      {"from_missing",
       "[" + good + R"(, {"conversations": [)" + turn + "," + turn + R"(, {"value": "v"}]}])"},
  };
  TempDir dir;
  for (const BadCase& c : cases) {
    const std::string body = c.json ? c.json : bodies.at(c.name);
    const std::string path = dir.write(std::string(c.name) + ".json", body);
    const std::string message = load_error(path);
    ASSERT_FALSE(message.empty()) << c.name << " loaded without error";
    EXPECT_NE(message.find(path), std::string::npos) << c.name << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.name << ": " << message;
    for (const std::string& word : c.must_mention) {
      EXPECT_NE(message.find(word), std::string::npos) << c.name << ": " << message;
    }
  }
}

TEST(ShareGptLoader, MissingOrUnreadableFile) {
  TempDir dir;
  const std::string missing = dir.file("nope.json");
  EXPECT_NE(load_error(missing).find("no such file"), std::string::npos);
  EXPECT_NE(load_error(dir.file("")).find("not a regular file"), std::string::npos);
  if (geteuid() != 0) {  // root reads anything
    const std::string locked = dir.write("locked.json", "[]");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    EXPECT_NE(load_error(locked).find("cannot read"), std::string::npos);
  }
}

}  // namespace
}  // namespace tpbench
