#pragma once
// Turns the SSE events of one streamed /v1/completions or /v1/chat/completions response into
// what the client's timing needs, one StreamChunk per event.
//
// A chunk CARRIES CONTENT (has_content) when one of its choices holds at least one generated
// token: a non-empty `text` (completions), a non-empty `delta.content`, `delta.reasoning_content`
// or `delta.reasoning` (chat), or a non-empty list of token ids (vLLM's `token_ids`, LMDeploy's
// `gen_tokens`, sent when the request asks for them). Not content: the role-only first chat
// chunk ({"role": "assistant"} with "" or no content), a chunk whose only news is a
// finish_reason, the usage chunk (`choices: []`), keep-alives and [DONE]. TTFT is stamped at the
// first chunk carrying content and E2E at the last; a token whose text the server holds back
// (half a UTF-8 character) and sends without ids counts where its text arrives. This is the rule
// of SGLang's and LMDeploy's clients; vLLM's also counts chunks with empty text or the role only,
// which puts its TTFT before the first token.
//
// Failures (error set, has_content false): an error object inside the 200 stream
// ({"error": {...}} or {"object": "error", ...}), an "event: error", malformed JSON or a field of
// the wrong type (the message names the event: "event 3: ..."), finish_reason "error" or
// "abort" (LMDeploy's engine failures), a stream that ends without "data: [DONE]". After the first
// failure or [DONE], further events are ignored. Requests are sent with n = 1; choices are read
// in order and their texts concatenated all the same.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/openai/openai_types.hpp"
#include "engine/openai/sse_parser.hpp"

namespace tpbench::openai {

struct StreamChunk {
  std::string content_text;    // generated answer text in this chunk (text / delta.content)
  std::string reasoning_text;  // delta.reasoning_content or delta.reasoning (chat)
  bool has_content = false;    // see the header comment: TTFT is stamped at the first
  std::vector<int32_t> token_ids;
  bool has_token_ids = false;  // the server sent a token id list (possibly empty)
  std::optional<Usage> usage;  // the usage chunk, or every chunk with continuous_usage_stats
  std::string finish_reason;   // "stop", "length", ...; empty while generating
  bool finished = false;       // "data: [DONE]": the stream completed
  std::string error;           // non-empty: the request failed, for this reason

  bool failed() const { return !error.empty(); }
};

class StreamDecoder {
 public:
  explicit StreamDecoder(Endpoint endpoint) : endpoint_(endpoint) {}

  StreamChunk decode(const SseEvent& event);
  // The body ended (the transfer is complete). A failure when neither [DONE] nor a failure
  // came before it, else nullopt.
  std::optional<std::string> end_of_stream() const;

  bool done() const { return done_; }      // [DONE] seen
  bool failed() const { return failed_; }  // a chunk carried an error
  int64_t events() const { return events_; }
  int64_t content_chunks() const { return content_chunks_; }
  // The last usage the server sent, if any.
  const std::optional<Usage>& usage() const { return last_usage_; }

 private:
  void decode_json(const SseEvent& event, StreamChunk& chunk);
  std::string where() const;

  Endpoint endpoint_;
  bool done_ = false;
  bool failed_ = false;
  int64_t events_ = 0;
  int64_t content_chunks_ = 0;
  std::optional<Usage> last_usage_;
};

}  // namespace tpbench::openai
