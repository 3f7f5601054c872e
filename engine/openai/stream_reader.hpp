#pragma once
// One streamed response, from body bytes to StreamChunks: SseParser then StreamDecoder. The
// HTTP client keeps one per transfer, calls feed() from its write callback (stamping the time
// before the call, when the bytes arrived) and finish() when the transfer ends.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/openai/sse_parser.hpp"
#include "engine/openai/stream_decoder.hpp"

namespace tpbench::openai {

class StreamReader {
 public:
  explicit StreamReader(Endpoint endpoint,
                        size_t max_event_bytes = SseParser::kDefaultMaxEventBytes)
      : parser_(max_event_bytes), decoder_(endpoint) {}

  // Appends one chunk per event these bytes complete. A parser failure (an event over the size
  // limit) appends a failed chunk.
  void feed(std::string_view bytes, std::vector<StreamChunk>& out);
  // The body ended: appends the chunk of an event left without its blank line (see
  // tail_unterminated()), then a failed chunk when the stream neither completed nor failed.
  // A body that held no SSE event at all (a server answering a stream request with a plain
  // JSON body) fails with the server's message or the body's start.
  void finish(std::vector<StreamChunk>& out);

  const StreamDecoder& decoder() const { return decoder_; }
  const SseParser& parser() const { return parser_; }
  // finish() found an event the server did not end with a blank line.
  bool tail_unterminated() const { return tail_unterminated_; }

 private:
  void decode_events(std::vector<StreamChunk>& out);

  SseParser parser_;
  StreamDecoder decoder_;
  std::vector<SseEvent> events_;  // scratch, reused across feeds
  bool parser_failure_reported_ = false;
  bool tail_unterminated_ = false;
  std::string unframed_body_;  // the body while it has produced no event (capped)
};

}  // namespace tpbench::openai
