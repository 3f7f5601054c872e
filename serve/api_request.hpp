#pragma once
// The body of POST /v1/completions and /v1/chat/completions, read and checked field by field.
// Fields read (anything else is ignored, as vLLM does by default):
//   model              string; absent: the served model
//   prompt             completions: a string, or an array of token ids
//   messages           chat: [{"role", "content"}], content a string or [{"type":"text","text"}]
//   max_tokens         integer >= 1; chat: max_completion_tokens wins when both are given
//   ignore_eos, min_tokens, temperature [0, 2], top_p (0, 1], top_k (-1 or 0: every token),
//   seed, n (must be 1), stream, stream_options.include_usage (only with stream),
//   return_token_ids (vLLM's extension: the generated ids in every choice)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/openai/openai_types.hpp"
#include "serve/api_error.hpp"
#include "serve/chat_template.hpp"

namespace tpbench::serve {

struct ApiRequest {
  openai::Endpoint endpoint = openai::Endpoint::kCompletions;
  std::string model;  // "" = not given
  std::string prompt_text;
  std::vector<int32_t> prompt_ids;  // completions: the prompt as token ids
  bool prompt_is_ids = false;
  std::vector<ChatMessage> messages;  // chat
  std::optional<int32_t> max_tokens;
  bool ignore_eos = false;
  int32_t min_tokens = 0;
  double temperature = 1.0;
  double top_p = 1.0;
  int32_t top_k = 0;  // 0: the whole vocabulary
  std::optional<int64_t> seed;
  bool stream = false;
  bool include_usage = false;
  bool return_token_ids = false;
};

std::variant<ApiRequest, ApiError> parse_api_request(std::string_view body,
                                                     openai::Endpoint endpoint);

}  // namespace tpbench::serve
