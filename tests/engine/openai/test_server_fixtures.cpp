// Whole streams in the shapes vLLM, LMDeploy and SGLang send (tests/engine/openai/fixtures/*.sse,
// written by hand from their protocol definitions; each file's header says so), and two that
// llama.cpp's server really sent (llamacpp_*.sse). Each is read
// with LF, CRLF and CR line ends, whole, cut at every byte offset and byte by byte: the decoded
// chunks must be the same every time, and match what the fixture holds.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/openai/stream_reader.hpp"
#include "tests/engine/openai/feed_splits.hpp"

namespace tpbench::openai {
namespace {

std::string read_fixture(const std::string& name) {
  const std::string path = std::string(TPBENCH_SOURCE_DIR) + "/tests/engine/openai/fixtures/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What the client takes from a whole stream.
struct StreamSummary {
  std::string text;
  std::string reasoning;
  int content_chunks = 0;
  int first_content_chunk = -1;  // index into the chunk list: where TTFT is stamped
  int last_content_chunk = -1;   // where E2E is stamped
  std::vector<int32_t> token_ids;
  std::optional<Usage> usage;
  std::string finish_reason;
  bool finished = false;
  std::string error;

  bool operator==(const StreamSummary&) const = default;
};

StreamSummary summarize(const std::vector<StreamChunk>& chunks) {
  StreamSummary summary;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const StreamChunk& chunk = chunks[i];
    if (chunk.failed() && summary.error.empty()) summary.error = chunk.error;
    if (chunk.has_content) {
      if (summary.first_content_chunk < 0) summary.first_content_chunk = static_cast<int>(i);
      summary.last_content_chunk = static_cast<int>(i);
      ++summary.content_chunks;
    }
    summary.text += chunk.content_text;
    summary.reasoning += chunk.reasoning_text;
    summary.token_ids.insert(summary.token_ids.end(), chunk.token_ids.begin(),
                             chunk.token_ids.end());
    if (chunk.usage) summary.usage = chunk.usage;
    if (!chunk.finish_reason.empty()) summary.finish_reason = chunk.finish_reason;
    summary.finished = summary.finished || chunk.finished;
  }
  return summary;
}

std::vector<StreamChunk> read_stream(Endpoint endpoint,
                                     const std::vector<std::string_view>& pieces) {
  StreamReader reader(endpoint);
  std::vector<StreamChunk> chunks;
  for (std::string_view piece : pieces) reader.feed(piece, chunks);
  reader.finish(chunks);
  return chunks;
}

// The chunk list compared field by field (a summary alone would miss a chunk boundary moving).
std::string describe(const std::vector<StreamChunk>& chunks) {
  std::string out;
  for (const StreamChunk& c : chunks) {
    out += "[" + c.content_text + "|" + c.reasoning_text + "|" + (c.has_content ? "C" : "-") +
           (c.has_token_ids ? "I" : "-") + std::to_string(c.token_ids.size()) + "|" +
           (c.usage ? std::to_string(c.usage->prompt_tokens) + "/" +
                          std::to_string(c.usage->completion_tokens)
                    : "") +
           "|" + c.finish_reason + "|" + (c.finished ? "D" : "-") + "|" + c.error + "]\n";
  }
  return out;
}

struct Fixture {
  const char* file;
  Endpoint endpoint;
  StreamSummary expected;
};

void check_fixture(const Fixture& fixture) {
  const std::string lf_text = read_fixture(fixture.file);
  ASSERT_FALSE(lf_text.empty());
  const std::vector<StreamChunk> reference = read_stream(fixture.endpoint, {lf_text});
  EXPECT_EQ(summarize(reference), fixture.expected) << describe(reference);
  const std::string reference_text = describe(reference);
  for (const char* line_end : {"\n", "\r\n", "\r"}) {
    const std::string bytes = test::with_line_ends(lf_text, line_end);
    test::for_each_cut(
        bytes,
        [&](const std::vector<std::string_view>& pieces, const std::string& how) {
          ASSERT_EQ(describe(read_stream(fixture.endpoint, pieces)), reference_text)
              << fixture.file << ", line end "
              << (line_end[0] == '\n' ? "LF"
                  : line_end[1]       ? "CRLF"
                                      : "CR")
              << ", " << how;
        },
        /*pair_cut_limit=*/0);
  }
}

TEST(ServerFixtures, VllmCompletionsWithUsageAndTokenIds) {
  StreamSummary expected;
  expected.text = " Paris. It is café the";
  expected.content_chunks = 7;  // the empty-text chunk carries a token id
  expected.first_content_chunk = 0;
  expected.last_content_chunk = 6;
  expected.token_ids = {12366, 13, 1102, 374, 53050, 2483, 102, 279};
  expected.usage = Usage{6, 8};
  expected.finish_reason = "length";
  expected.finished = true;
  check_fixture({"vllm_completions.sse", Endpoint::kCompletions, expected});
}

TEST(ServerFixtures, VllmChatRoleChunkReasoningAndUsage) {
  StreamSummary expected;
  expected.text = "Hello there! How can I help?";
  expected.reasoning = "Greet back.";
  expected.content_chunks = 5;
  expected.first_content_chunk = 1;  // not the role-only chunk 0
  expected.last_content_chunk = 5;   // not the finishing chunk with empty content
  expected.usage = Usage{11, 13};
  expected.finish_reason = "stop";
  expected.finished = true;
  check_fixture({"vllm_chat.sse", Endpoint::kChatCompletions, expected});
}

TEST(ServerFixtures, VllmChatErrorMidStream) {
  StreamSummary expected;
  expected.text = "Once";
  expected.content_chunks = 1;
  expected.first_content_chunk = 1;
  expected.last_content_chunk = 1;
  expected.error =
      "event 3: the server reported an error in the stream: EngineCore encountered an issue. See "
      "stack trace (above) for the root cause. (type InternalServerError, code 500)";
  check_fixture({"vllm_chat_error.sse", Endpoint::kChatCompletions, expected});
}

TEST(ServerFixtures, LmdeployCompletionsUsageOnTheFinishingChunk) {
  StreamSummary expected;
  expected.text = "上海是中国最大的城市";
  expected.content_chunks = 3;
  expected.first_content_chunk = 0;
  expected.last_content_chunk = 2;
  expected.token_ids = {68412, 60354, 68960, 69409, 70473};
  expected.usage = Usage{9, 5};
  expected.finish_reason = "length";
  expected.finished = true;
  check_fixture({"lmdeploy_completions.sse", Endpoint::kCompletions, expected});
}

TEST(ServerFixtures, LmdeployChatGenTokens) {
  StreamSummary expected;
  expected.text = "你好！";
  expected.content_chunks = 2;
  expected.first_content_chunk = 0;  // no role-only chunk: the first chunk has text
  expected.last_content_chunk = 1;
  expected.token_ids = {77230, 60477};
  expected.usage = Usage{20, 2};
  expected.finish_reason = "stop";
  expected.finished = true;
  check_fixture({"lmdeploy_chat.sse", Endpoint::kChatCompletions, expected});
}

TEST(ServerFixtures, LmdeployFinishReasonError) {
  StreamSummary expected;
  expected.text = "The";
  expected.content_chunks = 1;
  expected.first_content_chunk = 0;
  expected.last_content_chunk = 0;
  expected.error = "event 2: the server ended the request with finish_reason \"error\"";
  check_fixture({"lmdeploy_finish_error.sse", Endpoint::kCompletions, expected});
}

TEST(ServerFixtures, SglangChatNullFields) {
  StreamSummary expected;
  expected.text = "Sure, here";
  expected.content_chunks = 3;
  expected.first_content_chunk = 1;
  expected.last_content_chunk = 3;
  expected.usage = Usage{31, 4};
  expected.finish_reason = "length";
  expected.finished = true;
  check_fixture({"sglang_chat.sse", Endpoint::kChatCompletions, expected});
}

TEST(ServerFixtures, SglangCompletionsWithoutUsage) {
  StreamSummary expected;
  expected.text = " one two three";
  expected.content_chunks = 3;
  expected.first_content_chunk = 0;
  expected.last_content_chunk = 2;
  expected.finish_reason = "length";
  expected.finished = true;
  check_fixture({"sglang_completions.sse", Endpoint::kCompletions, expected});
}

TEST(ServerFixtures, LlamaCppCompletionsUsageOnTheEmptyFinishingChunk) {
  StreamSummary expected;
  expected.text = ", there was a";
  expected.content_chunks = 4;
  expected.first_content_chunk = 0;
  expected.last_content_chunk = 3;  // not the finishing chunk: its text is empty
  expected.usage = Usage{5, 4};
  expected.finish_reason = "length";
  expected.finished = true;
  check_fixture({"llamacpp_completions.sse", Endpoint::kCompletions, expected});
}

TEST(ServerFixtures, LlamaCppChatRoleChunkWithNullContent) {
  StreamSummary expected;
  expected.text = "\"Here";
  expected.content_chunks = 4;
  expected.first_content_chunk = 1;  // chunk 0 is the role with "content": null
  expected.last_content_chunk = 4;
  expected.usage = Usage{46, 4};
  expected.finish_reason = "length";
  expected.finished = true;
  check_fixture({"llamacpp_chat.sse", Endpoint::kChatCompletions, expected});
}

TEST(ServerFixtures, KeepAlivePingsAndNamedEvents) {
  StreamSummary expected;
  expected.text = "ab";
  expected.content_chunks = 2;
  expected.first_content_chunk = 0;
  expected.last_content_chunk = 1;
  expected.finish_reason = "stop";
  expected.finished = true;
  check_fixture({"keepalive_pings.sse", Endpoint::kCompletions, expected});
}

}  // namespace
}  // namespace tpbench::openai
