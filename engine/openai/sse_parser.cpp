#include "engine/openai/sse_parser.hpp"

#include <limits>
#include <utility>

namespace tpbench::openai {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::optional<int64_t> parse_ascii_digits(std::string_view value) {
  if (value.empty()) return std::nullopt;
  int64_t result = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    if (result > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return std::nullopt;
    result = result * 10 + (c - '0');
  }
  return result;
}

// The first CR or LF at or after `pos` (string_view::find_first_of tests each byte against the
// set through a call; this loop is several times faster on long data lines).
size_t find_line_end(std::string_view bytes, size_t pos) {
  for (size_t i = pos; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' || bytes[i] == '\r') return i;
  }
  return std::string_view::npos;
}

}  // namespace

bool SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed()) return false;
  if (!bom_checked_) {
    while (!bytes.empty() && bom_bytes_seen_ < static_cast<int>(kUtf8Bom.size())) {
      if (bytes.front() != kUtf8Bom[bom_bytes_seen_]) {
        // Not a BOM after all: the bytes held back so far are ordinary input.
        bom_checked_ = true;
        consume(kUtf8Bom.substr(0, bom_bytes_seen_), out);
        break;
      }
      ++bom_bytes_seen_;
      bytes.remove_prefix(1);
    }
    if (bom_bytes_seen_ == static_cast<int>(kUtf8Bom.size())) bom_checked_ = true;
    if (!bom_checked_) return true;
  }
  consume(bytes, out);
  return !failed();
}

void SseParser::consume(std::string_view bytes, std::vector<SseEvent>& out) {
  if (bytes.empty()) return;
  size_t pos = 0;
  if (after_cr_) {
    after_cr_ = false;
    if (bytes.front() == '\n') pos = 1;
  }
  while (pos < bytes.size() && !failed()) {
    const size_t end = find_line_end(bytes, pos);
    if (end == std::string_view::npos) {
      line_.append(bytes.substr(pos));
      over_limit();
      return;
    }
    const std::string_view piece = bytes.substr(pos, end - pos);
    if (line_.empty()) {
      process_line(piece, out);
    } else {
      line_.append(piece);
      process_line(line_, out);
      line_.clear();
    }
    if (bytes[end] == '\r') {
      if (end + 1 == bytes.size()) {
        after_cr_ = true;
        return;
      }
      pos = end + (bytes[end + 1] == '\n' ? 2 : 1);
    } else {
      pos = end + 1;
    }
  }
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    dispatch(out, /*terminated=*/true);
    return;
  }
  if (line.front() == ':') {
    ++comment_lines_;
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    process_field(line, {});
  } else {
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    process_field(line.substr(0, colon), value);
  }
  over_limit();
}

void SseParser::process_field(std::string_view field, std::string_view value) {
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  } else if (field == "retry") {
    if (auto ms = parse_ascii_digits(value)) retry_ms_ = ms;
  }
}

void SseParser::dispatch(std::vector<SseEvent>& out, bool terminated) {
  if (data_.empty()) {
    type_.clear();
    return;
  }
  data_.pop_back();  // the LF after the last data line
  SseEvent& event = out.emplace_back();
  if (!type_.empty()) event.type = std::move(type_);
  event.data = std::move(data_);
  event.last_event_id = last_event_id_;
  event.terminated = terminated;
  data_.clear();
  type_.clear();
}

bool SseParser::over_limit() {
  if (line_.size() + data_.size() <= max_event_bytes_) return false;
  error_ = "an SSE event is longer than " + std::to_string(max_event_bytes_) +
           " bytes without a blank line";
  return true;
}

void SseParser::finish(std::vector<SseEvent>& out) {
  if (failed()) return;
  if (!bom_checked_) {
    bom_checked_ = true;
    consume(kUtf8Bom.substr(0, bom_bytes_seen_), out);
  }
  after_cr_ = false;
  if (!line_.empty()) {
    std::string last = std::move(line_);
    line_.clear();
    process_line(last, out);
  }
  if (failed()) return;
  dispatch(out, /*terminated=*/false);
}

}  // namespace tpbench::openai
