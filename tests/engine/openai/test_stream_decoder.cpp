// StreamDecoder / StreamReader: what each OpenAI chunk shape means for the client's timing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/openai/stream_reader.hpp"

namespace tpbench::openai {
namespace {

std::vector<StreamChunk> read_all(Endpoint endpoint, std::string_view body) {
  StreamReader reader(endpoint);
  std::vector<StreamChunk> chunks;
  reader.feed(body, chunks);
  reader.finish(chunks);
  return chunks;
}

StreamChunk decode_one(Endpoint endpoint, const std::string& data) {
  StreamDecoder decoder(endpoint);
  SseEvent event;
  event.data = data;
  return decoder.decode(event);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr Endpoint kCompletions = Endpoint::kCompletions;
constexpr Endpoint kChat = Endpoint::kChatCompletions;

TEST(StreamDecoder, CompletionTextIsContent) {
  const StreamChunk chunk =
      decode_one(kCompletions,
                 R"({"choices":[{"index":0,"text":" Paris","finish_reason":null}],"usage":null})");
  EXPECT_FALSE(chunk.failed()) << chunk.error;
  EXPECT_TRUE(chunk.has_content);
  EXPECT_EQ(chunk.content_text, " Paris");
  EXPECT_FALSE(chunk.usage.has_value());
  EXPECT_FALSE(chunk.has_token_ids);
  EXPECT_EQ(chunk.finish_reason, "");
}

TEST(StreamDecoder, RoleOnlyFirstChatChunkIsNotContent) {
  for (
      const char* data :
      {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
       R"({"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]})",
       R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]})"}) {
    const StreamChunk chunk = decode_one(kChat, data);
    EXPECT_FALSE(chunk.failed()) << chunk.error;
    EXPECT_FALSE(chunk.has_content) << data;
  }
  const StreamChunk content =
      decode_one(kChat, R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]})");
  EXPECT_TRUE(content.has_content);
  EXPECT_EQ(content.content_text, "Hi");
}

TEST(StreamDecoder, ReasoningIsContent) {
  const StreamChunk old_name =
      decode_one(kChat, R"({"choices":[{"index":0,"delta":{"reasoning_content":"Let me"}}]})");
  EXPECT_TRUE(old_name.has_content);
  EXPECT_EQ(old_name.reasoning_text, "Let me");
  EXPECT_EQ(old_name.content_text, "");
  const StreamChunk new_name =
      decode_one(kChat, R"({"choices":[{"index":0,"delta":{"reasoning":" think"}}]})");
  EXPECT_TRUE(new_name.has_content);
  EXPECT_EQ(new_name.reasoning_text, " think");
}

TEST(StreamDecoder, EmptyChoicesUsageChunk) {
  const StreamChunk chunk = decode_one(
      kChat,
      R"({"id":"x","choices":[],"usage":{"prompt_tokens":11,"total_tokens":24,"completion_tokens":13}})");
  EXPECT_FALSE(chunk.failed()) << chunk.error;
  EXPECT_FALSE(chunk.has_content);
  ASSERT_TRUE(chunk.usage.has_value());
  EXPECT_EQ(*chunk.usage, (Usage{11, 13}));
}

TEST(StreamDecoder, UsageWithNullCountsKeepsMinusOne) {
  const StreamChunk chunk = decode_one(
      kCompletions, R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":null}})");
  ASSERT_TRUE(chunk.usage.has_value());
  EXPECT_EQ(*chunk.usage, (Usage{5, -1}));
}

TEST(StreamDecoder, MultiTokenChunkWithTokenIds) {
  const StreamChunk vllm = decode_one(
      kCompletions, R"({"choices":[{"index":0,"text":" It is","token_ids":[1102,374]}]})");
  EXPECT_TRUE(vllm.has_content);
  EXPECT_TRUE(vllm.has_token_ids);
  EXPECT_EQ(vllm.token_ids, (std::vector<int32_t>{1102, 374}));
  const StreamChunk lmdeploy_chat = decode_one(
      kChat,
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"ab","gen_tokens":[7,8,9]}}]})");
  EXPECT_EQ(lmdeploy_chat.token_ids, (std::vector<int32_t>{7, 8, 9}));
  const StreamChunk lmdeploy =
      decode_one(kCompletions, R"({"choices":[{"index":0,"text":"x","gen_tokens":[4]}]})");
  EXPECT_EQ(lmdeploy.token_ids, (std::vector<int32_t>{4}));
}

TEST(StreamDecoder, TokenIdsWithoutTextAreContent) {
  // A token holding half a UTF-8 character: no text yet, but the token arrived.
  const StreamChunk chunk =
      decode_one(kCompletions, R"({"choices":[{"index":0,"text":"","token_ids":[2483]}]})");
  EXPECT_TRUE(chunk.has_content);
  const StreamChunk empty_ids =
      decode_one(kCompletions, R"({"choices":[{"index":0,"text":"","token_ids":[]}]})");
  EXPECT_FALSE(empty_ids.has_content);
  EXPECT_TRUE(empty_ids.has_token_ids);
}

TEST(StreamDecoder, FinishReasonOnlyIsNotContent) {
  const StreamChunk chunk = decode_one(
      kChat, R"({"choices":[{"index":0,"delta":{"content":""},"finish_reason":"length"}]})");
  EXPECT_FALSE(chunk.has_content);
  EXPECT_EQ(chunk.finish_reason, "length");
}

TEST(StreamDecoder, ErrorObjectInsideTheStreamFails) {
  const std::string body =
      "data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n"
      "data: {\"error\":{\"message\":\"out of KV cache\",\"type\":\"InternalServerError\","
      "\"code\":500}}\n\n"
      "data: [DONE]\n\n";
  const auto chunks = read_all(kCompletions, body);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_TRUE(chunks[0].has_content);
  EXPECT_TRUE(chunks[1].failed());
  EXPECT_FALSE(chunks[1].has_content);
  EXPECT_EQ(chunks[1].error,
            "event 2: the server reported an error in the stream: out of KV cache "
            "(type InternalServerError, code 500)");
  EXPECT_FALSE(chunks[2].finished) << "events after a failure are ignored";
  EXPECT_FALSE(chunks[2].failed());
}

TEST(StreamDecoder, ErrorShapes) {
  const StreamChunk old_vllm = decode_one(
      kChat,
      R"({"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400})");
  EXPECT_EQ(
      old_vllm.error,
      "event 1: the server reported an error in the stream: bad (type BadRequestError, code 400)");
  const StreamChunk text_error = decode_one(kChat, R"({"error":"overloaded"})");
  EXPECT_EQ(text_error.error, "event 1: the server reported an error in the stream: overloaded");
  const StreamChunk string_code =
      decode_one(kChat, R"({"error":{"message":"m","type":null,"code":"rate_limit"}})");
  EXPECT_EQ(string_code.error,
            "event 1: the server reported an error in the stream: m (code rate_limit)");
  const StreamChunk null_error =
      decode_one(kChat, R"({"error":null,"choices":[{"index":0,"delta":{"content":"x"}}]})");
  EXPECT_FALSE(null_error.failed()) << null_error.error;
  EXPECT_TRUE(null_error.has_content);
}

TEST(StreamDecoder, ErrorEventTypeFails) {
  const auto chunks = read_all(kChat, "event: error\ndata: {\"message\":\"boom\"}\n\n");
  ASSERT_FALSE(chunks.empty());
  EXPECT_TRUE(chunks[0].failed());
  EXPECT_TRUE(contains(chunks[0].error, "error event")) << chunks[0].error;
  EXPECT_TRUE(contains(chunks[0].error, "boom")) << chunks[0].error;
}

TEST(StreamDecoder, FinishReasonErrorOrAbortFails) {
  for (const char* reason : {"error", "abort"}) {
    const StreamChunk chunk = decode_one(
        kCompletions,
        std::string(R"({"choices":[{"index":0,"text":"","finish_reason":")") + reason + "\"}]}");
    EXPECT_TRUE(chunk.failed()) << reason;
    EXPECT_TRUE(contains(chunk.error, reason)) << chunk.error;
  }
}

TEST(StreamDecoder, MalformedJsonNamesTheEvent) {
  const auto chunks = read_all(
      kCompletions,
      "data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n: ping\n\ndata: {\"choices\": [}\n\n");
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_TRUE(chunks[1].failed());
  EXPECT_TRUE(contains(chunks[1].error, "event 2: malformed JSON")) << chunks[1].error;
  EXPECT_TRUE(contains(chunks[1].error, "{\"choices\": [}")) << chunks[1].error;
}

TEST(StreamDecoder, WrongFieldTypesFailNamingTheField) {
  EXPECT_EQ(decode_one(kCompletions, R"({"choices":[{"text":3}]})").error,
            "event 1: \"choices[].text\" is not a string");
  EXPECT_EQ(decode_one(kChat, R"({"choices":[{"delta":"hi"}]})").error,
            "event 1: \"choices[].delta\" is not an object");
  EXPECT_EQ(decode_one(kCompletions, R"({"choices":{}})").error,
            "event 1: \"choices\" is not a list");
  EXPECT_EQ(decode_one(kCompletions, R"({"choices":[],"usage":{"completion_tokens":-1}})").error,
            "event 1: \"usage.completion_tokens\" is not a non-negative integer");
  EXPECT_EQ(decode_one(kCompletions, R"({"choices":[{"text":"a","token_ids":[1,-2]}]})").error,
            "event 1: \"choices[].token_ids\" holds -2, not a token id");
  EXPECT_EQ(decode_one(kCompletions, R"([1,2])").error, "event 1: not a JSON object: [1,2]");
}

TEST(StreamDecoder, StreamEndingWithoutDoneFails) {
  const auto chunks = read_all(kCompletions,
                               "data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\n"
                               "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,"
                               "\"completion_tokens\":1}}\n\n");
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_TRUE(chunks[2].failed());
  EXPECT_EQ(chunks[2].error, "the stream ended without \"data: [DONE]\" after 2 events");
  const auto empty = read_all(kCompletions, "");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].error,
            "the stream ended without \"data: [DONE]\" after 0 events (the server sent no event)");
}

TEST(StreamDecoder, PlainJsonBodyInsteadOfAStream) {
  const auto error = read_all(
      kChat, "{\"error\":{\"message\":\"stream not supported\",\"type\":\"t\",\"code\":400}}");
  ASSERT_EQ(error.size(), 1u);
  EXPECT_EQ(error[0].error,
            "the response holds no SSE event: stream not supported (type t, code 400)");
  const auto pings = read_all(kChat, ": ping\n\n");
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].error, "the response holds no SSE event: : ping");
}

TEST(StreamDecoder, DoneCompletesTheStream) {
  StreamReader reader(kCompletions);
  std::vector<StreamChunk> chunks;
  reader.feed("data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: [DONE]\n\n", chunks);
  reader.finish(chunks);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_TRUE(chunks[1].finished);
  EXPECT_TRUE(reader.decoder().done());
  EXPECT_FALSE(reader.tail_unterminated());
}

TEST(StreamDecoder, DoneWithoutItsBlankLineStillCompletes) {
  StreamReader reader(kCompletions);
  std::vector<StreamChunk> chunks;
  reader.feed("data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: [DONE]", chunks);
  reader.finish(chunks);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_TRUE(chunks[1].finished);
  EXPECT_TRUE(reader.tail_unterminated());
}

TEST(StreamDecoder, StreamCutInsideAnEventSaysSo) {
  const auto chunks =
      read_all(kCompletions, "data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: {\"choices\":[{\"te");
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_TRUE(
      contains(chunks[1].error, "event 2 (cut off at the end of the stream): malformed JSON"))
      << chunks[1].error;
}

TEST(StreamDecoder, KeepAlivesAndOtherEventTypesAreIgnored) {
  const auto chunks = read_all(kChat,
                               "data:\n\nevent: status\ndata: {\"x\":1}\n\n"
                               "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                               "data: [DONE]\n\n");
  ASSERT_EQ(chunks.size(), 4u);
  for (int i : {0, 1}) {
    EXPECT_FALSE(chunks[i].failed());
    EXPECT_FALSE(chunks[i].has_content);
  }
  EXPECT_TRUE(chunks[2].has_content);
  EXPECT_TRUE(chunks[3].finished);
}

TEST(StreamDecoder, OverlongEventFailsTheStream) {
  StreamReader reader(kCompletions, /*max_event_bytes=*/64);
  std::vector<StreamChunk> chunks;
  reader.feed("data: " + std::string(100, 'x'), chunks);
  reader.finish(chunks);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(contains(chunks[0].error, "longer than")) << chunks[0].error;
}

TEST(StreamDecoder, CountsAndLastUsage) {
  StreamReader reader(kChat);
  std::vector<StreamChunk> chunks;
  reader.feed(
      "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":3,"
      "\"completion_tokens\":1}}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}],\"usage\":{\"prompt_tokens\":3,"
      "\"completion_tokens\":2}}\n\n"
      "data: [DONE]\n\n",
      chunks);
  EXPECT_EQ(reader.decoder().events(), 4);
  EXPECT_EQ(reader.decoder().content_chunks(), 2);
  ASSERT_TRUE(reader.decoder().usage().has_value());
  EXPECT_EQ(*reader.decoder().usage(), (Usage{3, 2}));
}

}  // namespace
}  // namespace tpbench::openai
