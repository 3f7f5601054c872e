#include "engine/openai/stream_reader.hpp"

namespace tpbench::openai {

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
  parser_.feed(bytes, events_);
  decode_events(out);
}

void StreamReader::finish(std::vector<StreamChunk>& out) {
  parser_.finish(events_);
  decode_events(out);
  if (parser_failure_reported_) return;
  if (auto reason = decoder_.end_of_stream()) out.emplace_back().error = *reason;
}

}  // namespace tpbench::openai
