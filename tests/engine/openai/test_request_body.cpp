// Request bodies against golden JSON.
#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"
#include "engine/openai/request_body.hpp"

namespace tpbench::openai {
namespace {

RequestSpec completions_spec() {
  RequestSpec spec;
  spec.model = "llama";
  spec.endpoint = Endpoint::kCompletions;
  spec.prompt_text = "Hi \"you\"\n";
  spec.max_tokens = 128;
  return spec;
}

TEST(RequestBody, CompletionsStreamingWithUsage) {
  EXPECT_EQ(build_request_body(completions_spec()),
            R"({"model":"llama","prompt":"Hi \"you\"\n","max_tokens":128,"stream":true,)"
            R"("stream_options":{"include_usage":true}})");
}

TEST(RequestBody, CompletionsTokenIdsAndEveryOption) {
  RequestSpec spec = completions_spec();
  spec.prompt_as_ids = true;
  spec.prompt_ids = {1, 15043, 29871};
  spec.ignore_eos = true;
  spec.min_tokens = 128;
  spec.temperature = 0.0;
  spec.top_p = 0.95;
  spec.top_k = 40;
  EXPECT_EQ(build_request_body(spec),
            R"({"model":"llama","prompt":[1,15043,29871],"max_tokens":128,"ignore_eos":true,)"
            R"("min_tokens":128,"temperature":0.0,"top_p":0.95,"top_k":40,"stream":true,)"
            R"("stream_options":{"include_usage":true}})");
}

TEST(RequestBody, ChatUsesMessagesAndMaxCompletionTokens) {
  RequestSpec spec = completions_spec();
  spec.endpoint = Endpoint::kChatCompletions;
  spec.prompt_text = "上海?";
  spec.ignore_eos = true;
  EXPECT_EQ(build_request_body(spec),
            R"({"model":"llama","messages":[{"role":"user","content":"上海?"}],)"
            R"("max_completion_tokens":128,"ignore_eos":true,"stream":true,)"
            R"("stream_options":{"include_usage":true}})");
}

TEST(RequestBody, NoStreamOptionsWithoutStreamingOrUsage) {
  RequestSpec spec = completions_spec();
  spec.stream = false;
  EXPECT_EQ(build_request_body(spec),
            R"({"model":"llama","prompt":"Hi \"you\"\n","max_tokens":128,"stream":false})");
  spec.stream = true;
  spec.include_usage = false;
  EXPECT_EQ(build_request_body(spec),
            R"({"model":"llama","prompt":"Hi \"you\"\n","max_tokens":128,"stream":true})");
}

TEST(RequestBody, ExtraBodyMergesLast) {
  RequestSpec spec = completions_spec();
  spec.min_tokens = 16;
  spec.extra_body_json =
      R"({"max_tokens":64,"stream_options":{"continuous_usage_stats":true},"repetition_penalty":1.0})";
  EXPECT_EQ(
      build_request_body(spec),
      R"({"model":"llama","prompt":"Hi \"you\"\n","max_tokens":64,"min_tokens":16,"stream":true,)"
      R"("stream_options":{"include_usage":true,"continuous_usage_stats":true},)"
      R"("repetition_penalty":1.0})");
}

TEST(RequestBody, ExtraBodyNullRemovesAField) {
  // LMDeploy's chat takes min_new_tokens, not min_tokens.
  RequestSpec spec = completions_spec();
  spec.endpoint = Endpoint::kChatCompletions;
  spec.min_tokens = 16;
  spec.extra_body_json = R"({"min_tokens":null,"min_new_tokens":16})";
  EXPECT_EQ(build_request_body(spec),
            R"({"model":"llama","messages":[{"role":"user","content":"Hi \"you\"\n"}],)"
            R"("max_completion_tokens":128,"stream":true,"stream_options":{"include_usage":true},)"
            R"("min_new_tokens":16})");
}

TEST(RequestBody, OmitFields) {
  RequestSpec spec = completions_spec();
  spec.ignore_eos = true;
  spec.extra_body_json = R"({"stream_options":{"continuous_usage_stats":true}})";
  spec.omit_fields = {"ignore_eos", "stream_options.include_usage", "not_there", "model.x"};
  EXPECT_EQ(build_request_body(spec),
            R"({"model":"llama","prompt":"Hi \"you\"\n","max_tokens":128,"stream":true,)"
            R"("stream_options":{"continuous_usage_stats":true}})");
  spec.omit_fields = {"stream_options"};
  EXPECT_EQ(build_request_body(spec),
            R"({"model":"llama","prompt":"Hi \"you\"\n","max_tokens":128,"ignore_eos":true,)"
            R"("stream":true})");
}

void expect_input_error(const RequestSpec& spec, const std::string& message) {
  try {
    build_request_body(spec);
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(message, 0), 0u) << e.what();
  }
}

TEST(RequestBody, BadInput) {
  RequestSpec spec = completions_spec();
  spec.extra_body_json = "[1]";
  expect_input_error(spec, "--extra-body: must be a JSON object ({...})");
  EXPECT_THROW(check_extra_body("[1]"), InputError);
  spec.extra_body_json = "{\"a\":";
  expect_input_error(spec, "--extra-body: not valid JSON (");
  EXPECT_NO_THROW(check_extra_body("{\"a\":1}"));
  EXPECT_NO_THROW(check_extra_body(""));

  spec = completions_spec();
  spec.endpoint = Endpoint::kChatCompletions;
  spec.prompt_as_ids = true;
  expect_input_error(spec, "--prompt-format ids: the chat endpoint takes text");
  spec = completions_spec();
  spec.max_tokens = 0;
  expect_input_error(spec, "request: max_tokens must be at least 1 (got 0)");
}

TEST(Endpoint, PathsRoundTrip) {
  for (Endpoint e : {Endpoint::kCompletions, Endpoint::kChatCompletions}) {
    EXPECT_EQ(endpoint_from_path(endpoint_path(e)), e);
  }
  EXPECT_FALSE(endpoint_from_path("/v1/embeddings").has_value());
}

}  // namespace
}  // namespace tpbench::openai
