#pragma once
// An incremental Server-Sent-Events parser: fed the body bytes of one HTTP response in whatever
// pieces the transport hands over (libcurl's write callback), it returns each event as soon as
// its blank line arrives. No network, no JSON: the OpenAI decoding is in stream_decoder.hpp.
//
// The rules are those of the WHATWG HTML Living Standard, section 9.2.6 "Interpreting an event
// stream"
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// - one leading UTF-8 byte-order mark is dropped; lines end in CRLF, LF or CR (a CRLF split
//   across two feeds is one line end);
// - an empty line dispatches the event; a line starting with ':' is a comment (servers' pings);
// - "name:value" (one space after the colon dropped), or a whole line without a colon as a
//   field name with an empty value;
// - "data" appends the value and a LF (several data lines join with "\n"); "event" sets the
//   type; "id" sets the last event id unless the value holds NUL; "retry" takes only ASCII
//   digits; other fields are ignored;
// - an event with an empty data buffer is not dispatched (an "event:" line alone is dropped),
//   while "data:" with an empty value dispatches an event whose data is "".
// One deliberate difference: the spec discards an event the stream ends inside. finish() hands
// it over marked `terminated = false` instead, so the caller can say what the server sent last
// (a trailing "data: [DONE]" without its blank line, or a stream cut mid-event).
// Bytes are kept as bytes (no UTF-8 decoding): the JSON parser validates the data.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tpbench::openai {

struct SseEvent {
  std::string type = "message";  // the "event:" field, "message" when none
  std::string data;              // the "data:" lines joined with "\n"
  std::string last_event_id;     // the last "id:" seen on the stream so far
  bool terminated = true;  // false: flushed by finish(), the stream ended before its blank line

  bool operator==(const SseEvent&) const = default;
};

class SseParser {
 public:
  static constexpr size_t kDefaultMaxEventBytes = 64u << 20;

  // An event (or one line) longer than max_event_bytes stops the parser with an error: a server
  // that never sends a line end must not grow the client without bound.
  explicit SseParser(size_t max_event_bytes = kDefaultMaxEventBytes)
      : max_event_bytes_(max_event_bytes) {}

  // Appends the events these bytes complete to `out`. Returns false once the parser has failed
  // (see error()); later calls do nothing and return false.
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);

  // End of the body: a last line without its line end is read as a line, and an event still
  // pending is appended with terminated = false. Call once, after the last feed.
  void finish(std::vector<SseEvent>& out);

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // The last valid "retry:" value in milliseconds, if the server sent one.
  std::optional<int64_t> retry_ms() const { return retry_ms_; }
  // Comment lines seen (": ping" keep-alives).
  int64_t comment_lines() const { return comment_lines_; }

 private:
  void consume(std::string_view bytes, std::vector<SseEvent>& out);
  void process_line(std::string_view line, std::vector<SseEvent>& out);
  void process_field(std::string_view field, std::string_view value);
  void dispatch(std::vector<SseEvent>& out, bool terminated);
  bool over_limit();

  size_t max_event_bytes_;
  std::string line_;        // a line whose end has not arrived yet
  bool after_cr_ = false;   // the last byte fed was CR: a LF first in the next feed is its pair
  int bom_bytes_seen_ = 0;  // leading bytes matched against the UTF-8 BOM so far
  bool bom_checked_ = false;
  std::string data_;  // the data buffer, each line followed by LF
  std::string type_;  // the event type buffer
  std::string last_event_id_;
  std::optional<int64_t> retry_ms_;
  int64_t comment_lines_ = 0;
  std::string error_;
};

}  // namespace tpbench::openai
