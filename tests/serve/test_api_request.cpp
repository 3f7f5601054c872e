// The request reader: each field's type and range, the chat forms, and the error bodies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve/api_request.hpp"

namespace tpbench::serve {
namespace {

using openai::Endpoint;

ApiRequest ok(const std::string& body, Endpoint endpoint = Endpoint::kCompletions) {
  auto parsed = parse_api_request(body, endpoint);
  if (auto* error = std::get_if<ApiError>(&parsed)) ADD_FAILURE() << body << ": " << error->message;
  return std::get_if<ApiRequest>(&parsed) ? std::get<ApiRequest>(parsed) : ApiRequest{};
}

ApiError rejected(const std::string& body, Endpoint endpoint = Endpoint::kCompletions) {
  auto parsed = parse_api_request(body, endpoint);
  EXPECT_TRUE(std::holds_alternative<ApiError>(parsed)) << body;
  return std::get_if<ApiError>(&parsed) ? std::get<ApiError>(parsed) : ApiError{};
}

TEST(ApiRequest, CompletionFieldsAndDefaults) {
  const ApiRequest r = ok(R"({"model":"m","prompt":"hi"})");
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.prompt_text, "hi");
  EXPECT_FALSE(r.prompt_is_ids);
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_EQ(r.temperature, 1.0);
  EXPECT_EQ(r.top_p, 1.0);
  EXPECT_EQ(r.top_k, 0);
  EXPECT_FALSE(r.stream);

  const ApiRequest all =
      ok(R"({"prompt":[1,5,7],"max_tokens":9,"min_tokens":3,"ignore_eos":true,"temperature":0,)"
         R"("top_p":0.5,"top_k":-1,"seed":42,"n":1,"stream":true,)"
         R"("stream_options":{"include_usage":true},"return_token_ids":true,"unknown":{"x":1}})");
  EXPECT_TRUE(all.prompt_is_ids);
  EXPECT_EQ(all.prompt_ids, (std::vector<int32_t>{1, 5, 7}));
  EXPECT_EQ(all.max_tokens, 9);
  EXPECT_EQ(all.min_tokens, 3);
  EXPECT_TRUE(all.ignore_eos);
  EXPECT_EQ(all.temperature, 0.0);
  EXPECT_EQ(all.top_p, 0.5);
  EXPECT_EQ(all.top_k, 0);  // -1: every token, as vLLM writes it
  EXPECT_EQ(all.seed, 42);
  EXPECT_TRUE(all.stream);
  EXPECT_TRUE(all.include_usage);
  EXPECT_TRUE(all.return_token_ids);
  EXPECT_EQ(ok(R"({"prompt":"a","max_tokens":16.0})").max_tokens, 16);
}

TEST(ApiRequest, ChatMessagesAndMaxCompletionTokens) {
  const ApiRequest r =
      ok(R"({"messages":[{"role":"system","content":"S"},)"
         R"({"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],)"
         R"("max_tokens":5,"max_completion_tokens":7})",
         Endpoint::kChatCompletions);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "ab");
  EXPECT_EQ(r.max_tokens, 7);  // max_completion_tokens wins
  EXPECT_EQ(apply_chat_template(r.messages), "system: S\nuser: ab\nassistant: ");
}

TEST(ApiRequest, EachBadFieldIsA400NamingIt) {
  struct Case {
    const char* body;
    const char* param;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"max_tokens":3})", "prompt"},
           {R"({"prompt":5})", "prompt"},
           {R"({"prompt":[]})", "prompt"},
           {R"({"prompt":[1,-2]})", "prompt"},
           {R"({"prompt":[1,2.5]})", "prompt"},
           {R"({"prompt":["a","b"]})", "prompt"},
           {R"({"prompt":"a","model":7})", "model"},
           {R"({"prompt":"a","max_tokens":0})", "max_tokens"},
           {R"({"prompt":"a","max_tokens":"8"})", "max_tokens"},
           {R"({"prompt":"a","max_tokens":4,"min_tokens":5})", "min_tokens"},
           {R"({"prompt":"a","temperature":2.5})", "temperature"},
           {R"({"prompt":"a","temperature":"hot"})", "temperature"},
           {R"({"prompt":"a","top_p":0})", "top_p"},
           {R"({"prompt":"a","top_k":-2})", "top_k"},
           {R"({"prompt":"a","n":2})", "n"},
           {R"({"prompt":"a","stream":"yes"})", "stream"},
           {R"({"prompt":"a","stream_options":{"include_usage":true}})", "stream_options"},
           {R"({"prompt":"a","ignore_eos":1})", "ignore_eos"},
       }) {
    const ApiError e = rejected(c.body);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    EXPECT_NE(e.message.find(c.param), std::string::npos) << e.message;
  }
  EXPECT_EQ(rejected(R"({"prompt":"a"})", Endpoint::kChatCompletions).param, "messages");
  EXPECT_EQ(rejected(R"({"messages":[{"content":"x"}]})", Endpoint::kChatCompletions).param,
            "messages");
  EXPECT_EQ(rejected(R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
                     Endpoint::kChatCompletions)
                .param,
            "messages");
}

TEST(ApiRequest, MalformedBodiesAndTheErrorJson) {
  EXPECT_NE(rejected("{bad").message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(rejected("[1]").message.find("JSON object"), std::string::npos);
  EXPECT_EQ(rejected("").status, 400);

  const ApiError e(404, "The model `x` does not exist.", "model");
  const auto body = nlohmann::json::parse(e.body());
  EXPECT_EQ(body, nlohmann::json::parse(R"({"error":{"message":"The model `x` does not exist.",)"
                                        R"("type":"NotFoundError","param":"model","code":404}})"));
  EXPECT_TRUE(nlohmann::json::parse(ApiError(400, "m").body())["error"]["param"].is_null());
  EXPECT_EQ(ApiError(500, "m").type(), "InternalServerError");
  EXPECT_EQ(ApiError(503, "m").type(), "ServiceUnavailableError");
}

}  // namespace
}  // namespace tpbench::serve
