#include "engine/openai/stream_reader.hpp"

#include "engine/openai/response_decoder.hpp"

namespace tpbench::openai {
namespace {

constexpr size_t kUnframedBodyCap = 64 << 10;

}  // namespace

void StreamReader::decode_events(std::vector<StreamChunk>& out) {
  for (const SseEvent& event : events_) {
    if (!event.terminated) tail_unterminated_ = true;
    out.push_back(decoder_.decode(event));
  }
  events_.clear();
  if (parser_.failed() && !parser_failure_reported_ && !decoder_.done() && !decoder_.failed()) {
    parser_failure_reported_ = true;
    out.emplace_back().error = parser_.error();
  }
}

void StreamReader::feed(std::string_view bytes, std::vector<StreamChunk>& out) {
  if (decoder_.events() == 0 && unframed_body_.size() < kUnframedBodyCap) {
    unframed_body_.append(bytes.substr(0, kUnframedBodyCap - unframed_body_.size()));
  } else if (decoder_.events() > 0 && !unframed_body_.empty()) {
    std::string().swap(unframed_body_);
  }
  parser_.feed(bytes, events_);
  decode_events(out);
}

void StreamReader::finish(std::vector<StreamChunk>& out) {
  parser_.finish(events_);
  decode_events(out);
  if (parser_failure_reported_) return;
  auto reason = decoder_.end_of_stream();
  if (!reason) return;
  if (decoder_.events() == 0 && !unframed_body_.empty()) {
    *reason = "the response holds no SSE event: " + describe_body(unframed_body_);
  }
  out.emplace_back().error = *reason;
}

}  // namespace tpbench::openai
