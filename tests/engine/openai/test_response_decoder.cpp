// Whole (non-streaming) responses and HTTP error bodies.
#include <gtest/gtest.h>

#include <string>

#include "engine/openai/response_decoder.hpp"

namespace tpbench::openai {
namespace {

TEST(ResponseDecoder, Completions) {
  const Response r = decode_response(
      Endpoint::kCompletions,
      R"({"id":"cmpl-1","object":"text_completion","model":"m","choices":[{"index":0,"text":" Paris is","logprobs":null,"finish_reason":"length","token_ids":[12366,374]}],"usage":{"prompt_tokens":6,"total_tokens":8,"completion_tokens":2}})");
  EXPECT_FALSE(r.failed()) << r.error;
  EXPECT_EQ(r.content_text, " Paris is");
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_TRUE(r.has_token_ids);
  EXPECT_EQ(r.token_ids, (std::vector<int32_t>{12366, 374}));
  ASSERT_TRUE(r.usage.has_value());
  EXPECT_EQ(*r.usage, (Usage{6, 2}));
}

TEST(ResponseDecoder, Chat) {
  const Response r = decode_response(
      Endpoint::kChatCompletions,
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hi!","reasoning_content":"greet","gen_tokens":[5,6]},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})");
  EXPECT_FALSE(r.failed()) << r.error;
  EXPECT_EQ(r.content_text, "Hi!");
  EXPECT_EQ(r.reasoning_text, "greet");
  EXPECT_EQ(r.token_ids, (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(*r.usage, (Usage{3, 2}));
}

TEST(ResponseDecoder, ChatWithNullContentAndNoUsage) {
  const Response r = decode_response(
      Endpoint::kChatCompletions,
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"length"}]})");
  EXPECT_FALSE(r.failed()) << r.error;
  EXPECT_EQ(r.content_text, "");
  EXPECT_FALSE(r.usage.has_value());
  EXPECT_FALSE(r.has_token_ids);
}

TEST(ResponseDecoder, Failures) {
  EXPECT_EQ(
      decode_response(Endpoint::kCompletions, R"({"error":{"message":"no","type":"t","code":400}})")
          .error,
      "the server reported an error: no (type t, code 400)");
  EXPECT_EQ(decode_response(Endpoint::kCompletions, R"({"choices":[]})").error,
            "response: \"choices\" holds no choice object");
  EXPECT_EQ(decode_response(Endpoint::kCompletions, R"({"id":"x"})").error,
            "response: \"choices\" is missing or not a list");
  EXPECT_EQ(decode_response(Endpoint::kChatCompletions, R"({"choices":[{"text":"a"}]})").error,
            "response: \"choices[0].message\" is missing or not an object");
  EXPECT_EQ(decode_response(Endpoint::kCompletions, R"({"choices":[{"message":{}}]})").error,
            "response: \"choices[0].text\" is missing");
  EXPECT_EQ(decode_response(Endpoint::kCompletions,
                            R"({"choices":[{"text":"","finish_reason":"abort"}]})")
                .error,
            "response: the server ended the request with finish_reason \"abort\"");
  const std::string bad = decode_response(Endpoint::kCompletions, "{\"choices\": [").error;
  EXPECT_EQ(bad.rfind("the response is not valid JSON (", 0), 0u) << bad;
}

TEST(ErrorBody, OpenAiShape) {
  EXPECT_EQ(
      describe_error_body(
          404,
          R"({"error":{"message":"The model `x` does not exist.","type":"NotFoundError","param":null,"code":404}})"),
      "HTTP 404: The model `x` does not exist. (type NotFoundError, code 404)");
  EXPECT_EQ(
      describe_error_body(
          400,
          R"({"error":{"message":"Unrecognized request argument supplied: min_tokens","type":"invalid_request_error","param":null,"code":null}})"),
      "HTTP 400: Unrecognized request argument supplied: min_tokens (type invalid_request_error)");
}

TEST(ErrorBody, ObjectErrorShape) {
  EXPECT_EQ(
      describe_error_body(
          400,
          R"({"object":"error","message":"max_tokens too large","type":"invalid_request_error","param":null,"code":400})"),
      "HTTP 400: max_tokens too large (type invalid_request_error, code 400)");
}

TEST(ErrorBody, FastApiDetailAndOtherBodies) {
  EXPECT_EQ(describe_error_body(404, R"({"detail":"Not Found"})"), "HTTP 404: Not Found");
  EXPECT_EQ(
      describe_error_body(422, R"({"detail":[{"loc":["body","model"],"msg":"field required"}]})"),
      R"(HTTP 422: [{"loc":["body","model"],"msg":"field required"}])");
  EXPECT_EQ(describe_error_body(502, "<html>\r\n<b>Bad Gateway</b>\n</html>"),
            "HTTP 502: <html>  <b>Bad Gateway</b> </html>");
  EXPECT_EQ(describe_error_body(503, ""), "HTTP 503 (empty body)");
  const std::string long_body(500, 'x');
  EXPECT_EQ(describe_error_body(500, long_body), "HTTP 500: " + std::string(200, 'x') + "...");
}

}  // namespace
}  // namespace tpbench::openai
