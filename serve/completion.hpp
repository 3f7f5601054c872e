#pragma once
// One request's response as its tokens arrive, independent of the transport: the SSE frames
// of a stream (each token's text delta; chat opens with a role-only chunk; the last token's
// chunk carries finish_reason; then the usage chunk with empty choices when include_usage, and
// data: [DONE]) or the whole JSON body of a non-streaming answer.
//
// The engine ends a request at max_tokens ("length") or, unless ignore_eos, at one of the
// model's EOS ids (the stop ids) once min_tokens ids were generated ("stop"; the EOS id is in
// token_ids and counts in the usage, but adds no text). add_token(token, last) learns the end
// from the engine; a stop id or max_tokens also end it when the engine does not say so.
// return_token_ids (vLLM's extension) adds "token_ids" (this chunk's ids; all of them in a
// whole answer) to each choice and "prompt_token_ids" to the first chunk's choice.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/openai/openai_types.hpp"
#include "serve/api_error.hpp"
#include "serve/api_request.hpp"
#include "serve/incremental_text.hpp"
#include "tokenizer/tokenizer.hpp"

namespace tpbench::serve {

struct ResponseIdentity {
  std::string id;  // "cmpl-N" / "chatcmpl-N"
  std::string model;
  int64_t created = 0;  // unix seconds
};

class Completion {
 public:
  Completion(ResponseIdentity identity, const ApiRequest& request, std::vector<int32_t> prompt,
             int32_t max_tokens, std::vector<int32_t> stop_token_ids, const Tokenizer& tokenizer);

  std::string opening_frames();
  // Adds the next generated id (last: the engine's last for this request); when streaming,
  // returns its frame(s). Ignored once finished().
  std::string add_token(int32_t token, bool last = false);
  bool finished() const { return !finish_reason_.empty(); }
  std::string closing_frames() const;
  std::string response_body() const;

  int32_t prompt_tokens() const { return static_cast<int32_t>(prompt_.size()); }
  const std::vector<int32_t>& generated() const { return generated_; }

 private:
  std::string chunk(const std::string& text, const std::vector<int32_t>& ids, bool with_prompt,
                    const std::string& finish_reason, bool role_only) const;

  ResponseIdentity identity_;
  bool chat_;
  bool stream_;
  bool include_usage_;
  bool return_token_ids_;
  bool stop_at_eos_;
  int32_t min_tokens_;
  int32_t max_tokens_;
  std::vector<int32_t> stop_token_ids_;
  std::vector<int32_t> prompt_;
  std::vector<int32_t> generated_;
  IncrementalText text_;
  std::string full_text_;
  std::string finish_reason_;
  bool prompt_ids_sent_ = false;
};

// "data: <json>\n\n" and the end of a stream.
std::string sse_frame(const std::string& json);
std::string sse_done();
// An error inside a 200 stream: the error object as a data frame, then [DONE].
std::string sse_error(const ApiError& error);

}  // namespace tpbench::serve
