#pragma once
// The JSON body of one /v1/completions or /v1/chat/completions request.
//
// Fields, in this order: model; prompt (completions: the text, or the token ids as a list) or
// messages (chat: one user message with the text as its content); max_tokens (completions) or
// max_completion_tokens (chat); ignore_eos when set; min_tokens when given; temperature,
// top_p, top_k when given (no value: the server's default applies); stream; stream_options
// {"include_usage": true} when streaming with usage. Then --extra-body is merged as a JSON
// merge patch (RFC 7386): its objects merge into ours key by key, its values win, and a null
// removes a field ({"min_tokens": null, "min_new_tokens": 8} for LMDeploy's chat). Last, each
// name in omit_fields is removed ("stream_options.include_usage" reaches inside an object):
// strict servers reject fields they do not know.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/openai/openai_types.hpp"

namespace tpbench::openai {

struct RequestSpec {
  std::string model;
  Endpoint endpoint = Endpoint::kCompletions;
  std::string prompt_text;
  std::vector<int32_t> prompt_ids;  // used instead of prompt_text when prompt_as_ids
  bool prompt_as_ids = false;       // completions only: chat messages are text
  int32_t max_tokens = 0;
  bool ignore_eos = false;
  std::optional<int32_t> min_tokens;
  bool stream = true;
  bool include_usage = true;  // stream_options.include_usage (only sent when streaming)
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int32_t> top_k;
  std::string extra_body_json;  // --extra-body: a JSON object, or empty
  std::vector<std::string> omit_fields;
};

// The body as compact JSON. Throws InputError naming the flag for a --extra-body that is not a
// JSON object, token-id prompts on the chat endpoint, or a max_tokens below 1.
std::string build_request_body(const RequestSpec& spec);

// Checks --extra-body once at start-up (same rule and message as build_request_body).
void check_extra_body(const std::string& extra_body_json);

}  // namespace tpbench::openai
