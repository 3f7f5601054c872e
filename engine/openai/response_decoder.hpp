#pragma once
// Whole-body (non-streaming) responses of /v1/completions and /v1/chat/completions, and the
// error body a server sends with a 4xx/5xx status.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/openai/openai_types.hpp"

namespace tpbench::openai {

struct Response {
  std::string content_text;    // choices[0].text, or choices[0].message.content
  std::string reasoning_text;  // message.reasoning_content or message.reasoning (chat)
  std::vector<int32_t> token_ids;
  bool has_token_ids = false;  // vLLM's choices[0].token_ids, LMDeploy's gen_tokens
  std::optional<Usage> usage;
  std::string finish_reason;
  std::string error;  // non-empty: the request failed, for this reason

  bool failed() const { return !error.empty(); }
};

// A 200 body. An error object in it, malformed JSON, no choices or a field of the wrong type
// make a failed Response.
Response decode_response(Endpoint endpoint, std::string_view body);

// One line for a failed HTTP status: "HTTP 404: model 'x' not found (type NotFoundError, code
// 404)". Reads {"error": {"message", "type", "code"}}, {"object": "error", "message", ...}
// and FastAPI's {"detail": ...}; any other body is quoted, cut to a line's length.
std::string describe_error_body(int http_status, std::string_view body);

// The same without the status: the server's message, or the body cut to one line, or
// "(empty body)".
std::string describe_body(std::string_view body);

}  // namespace tpbench::openai
