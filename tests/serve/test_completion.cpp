// A response built token by token: SSE frames, finish reasons, usage, token ids, whole bodies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve/completion.hpp"
#include "tests/serve/piece_tokenizer.hpp"

namespace tpbench::serve {
namespace {

using nlohmann::json;

// ids: 2 = EOS (no text), 3 "a", 4 " b", 5..7 the three bytes of "€", 8 "!".
const test::PieceTokenizer& pieces() {
  static const test::PieceTokenizer tok({"", "", "", "a", " b", "\xE2", "\x82", "\xAC", "!"});
  return tok;
}

std::vector<json> frames_of(const std::string& sse) {
  std::vector<json> out;
  size_t pos = 0;
  while (pos < sse.size()) {
    const size_t end = sse.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << sse;
    if (end == std::string::npos) break;
    const std::string frame = sse.substr(pos, end - pos);
    EXPECT_EQ(frame.rfind("data: ", 0), 0u) << frame;
    const std::string data = frame.substr(6);
    out.push_back(data == "[DONE]" ? json("[DONE]") : json::parse(data));
    pos = end + 2;
  }
  return out;
}

ApiRequest streaming(openai::Endpoint endpoint = openai::Endpoint::kCompletions) {
  ApiRequest r;
  r.endpoint = endpoint;
  r.stream = true;
  r.include_usage = true;
  r.return_token_ids = true;
  r.ignore_eos = true;
  return r;
}

Completion make(const ApiRequest& r, int32_t max_tokens, std::vector<int32_t> stop_ids = {2}) {
  return Completion({"cmpl-7", "m", 123}, r, {1, 3}, max_tokens, std::move(stop_ids), pieces());
}

TEST(Completion, StreamFramesOneChunkPerTokenThenUsageAndDone) {
  Completion c = make(streaming(), 5);
  EXPECT_EQ(c.opening_frames(), "");  // completions have no role chunk
  std::vector<json> chunks;
  for (int32_t id : {3, 5, 6, 7, 4}) {
    for (json& f : frames_of(c.add_token(id))) chunks.push_back(std::move(f));
  }
  ASSERT_TRUE(c.finished());
  ASSERT_EQ(chunks.size(), 5u);
  std::string text;
  std::vector<int32_t> ids;
  for (const json& chunk : chunks) {
    EXPECT_EQ(chunk["object"], "text_completion");
    EXPECT_EQ(chunk["id"], "cmpl-7");
    EXPECT_EQ(chunk["model"], "m");
    EXPECT_TRUE(chunk["usage"].is_null());
    text += chunk["choices"][0]["text"].get<std::string>();
    for (int32_t id : chunk["choices"][0]["token_ids"]) ids.push_back(id);
  }
  // The euro sign's bytes are held until the character is whole.
  EXPECT_EQ(chunks[1]["choices"][0]["text"], "");
  EXPECT_EQ(chunks[2]["choices"][0]["text"], "");
  EXPECT_EQ(chunks[3]["choices"][0]["text"], "\xE2\x82\xAC");
  EXPECT_EQ(text, "a\xE2\x82\xAC b");
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 5, 6, 7, 4}));
  EXPECT_EQ(chunks[0]["choices"][0]["prompt_token_ids"], json({1, 3}));
  EXPECT_FALSE(chunks[1]["choices"][0].contains("prompt_token_ids"));
  EXPECT_TRUE(chunks[3]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[4]["choices"][0]["finish_reason"], "length");

  const std::vector<json> closing = frames_of(c.closing_frames());
  ASSERT_EQ(closing.size(), 2u);
  EXPECT_EQ(closing[0]["choices"], json::array());
  EXPECT_EQ(closing[0]["usage"], json::parse(R"({"prompt_tokens":2,"completion_tokens":5,)"
                                             R"("total_tokens":7})"));
  EXPECT_EQ(closing[1], "[DONE]");
  EXPECT_EQ(c.add_token(3), "");  // after the end: ignored
}

TEST(Completion, ChatOpensWithRoleChunkAndWithoutUsageEndsAtDone) {
  ApiRequest r = streaming(openai::Endpoint::kChatCompletions);
  r.include_usage = false;
  r.return_token_ids = false;
  Completion c = make(r, 2);
  const std::vector<json> open = frames_of(c.opening_frames());
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(open[0]["choices"][0]["delta"], json::parse(R"({"role":"assistant","content":""})"));
  const json first = frames_of(c.add_token(3))[0];
  EXPECT_EQ(first["choices"][0]["delta"], json::parse(R"({"content":"a"})"));
  EXPECT_FALSE(first.contains("usage"));
  EXPECT_FALSE(first["choices"][0].contains("token_ids"));
  frames_of(c.add_token(8));
  EXPECT_EQ(c.closing_frames(), "data: [DONE]\n\n");
}

TEST(Completion, EosStopsUnlessIgnoredOrBeforeMinTokens) {
  ApiRequest r = streaming();
  r.stream = false;
  r.ignore_eos = false;
  r.min_tokens = 2;
  Completion c = make(r, 10);
  c.add_token(2);  // EOS before min_tokens: generation goes on
  EXPECT_FALSE(c.finished());
  c.add_token(3);
  c.add_token(2);
  ASSERT_TRUE(c.finished());
  const json body = json::parse(c.response_body());
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["choices"][0]["text"], "a");
  EXPECT_EQ(body["choices"][0]["token_ids"], json({2, 3, 2}));
  EXPECT_EQ(body["choices"][0]["prompt_token_ids"], json({1, 3}));
  EXPECT_EQ(body["usage"]["completion_tokens"], 3);
  EXPECT_EQ(body["object"], "text_completion");

  ApiRequest ignoring = r;
  ignoring.ignore_eos = true;
  Completion d = make(ignoring, 3);
  for (int32_t id : {2, 2, 2}) d.add_token(id);
  EXPECT_EQ(json::parse(d.response_body())["choices"][0]["finish_reason"], "length");
}

// The model's stop ids (generation_config.json may name several): the one that ends the request
// counts and is in token_ids but adds no text, even one that has a text of its own.
TEST(Completion, AnyStopIdEndsWithoutText) {
  ApiRequest r = streaming();
  r.ignore_eos = false;
  Completion c = make(r, 10, {2, 8});
  c.add_token(3);
  const std::vector<json> last = frames_of(c.add_token(8, /*last=*/true));
  ASSERT_TRUE(c.finished());
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0]["choices"][0]["text"], "");
  EXPECT_EQ(last[0]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(last[0]["choices"][0]["token_ids"], json({8}));
  const std::vector<json> usage = frames_of(c.closing_frames());
  EXPECT_EQ(usage[0]["usage"]["completion_tokens"], 2);
}

// The engine's last token ends the answer ("length") even before max_tokens.
TEST(Completion, EngineLastTokenEndsIt) {
  ApiRequest r = streaming();
  r.stream = false;
  Completion c = make(r, 10);
  c.add_token(3);
  EXPECT_FALSE(c.finished());
  c.add_token(4, /*last=*/true);
  ASSERT_TRUE(c.finished());
  const json body = json::parse(c.response_body());
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["choices"][0]["text"], "a b");
}

TEST(Completion, WholeChatAnswerAndErrorFrames) {
  ApiRequest r;
  r.endpoint = openai::Endpoint::kChatCompletions;
  Completion c = make(r, 2);
  EXPECT_EQ(c.add_token(3), "");  // not streaming: nothing to send per token
  c.add_token(4);
  const json body = json::parse(c.response_body());
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"], json::parse(R"({"role":"assistant","content":"a b"})"));
  EXPECT_FALSE(body["choices"][0].contains("token_ids"));

  const std::vector<json> error = frames_of(sse_error(ApiError(503, "going away")));
  ASSERT_EQ(error.size(), 2u);
  EXPECT_EQ(error[0]["error"]["code"], 503);
  EXPECT_EQ(error[1], "[DONE]");
}

}  // namespace
}  // namespace tpbench::serve
