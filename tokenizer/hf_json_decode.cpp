#include "tokenizer/hf_json_decode.hpp"

#include <optional>

#include "tokenizer/byte_level.hpp"

namespace tpbench::tok {

namespace {

std::string replaced(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t start = 0;
  for (size_t pos; (pos = s.find(from, start)) != std::string_view::npos;
       start = pos + from.size()) {
    out.append(s.substr(start, pos - start));
    out.append(to);
  }
  out.append(s.substr(start));
  return out;
}

// "<0x41>" -> 0x41
std::optional<unsigned char> byte_token(std::string_view t) {
  if (t.size() != 6 || !t.starts_with("<0x") || t.back() != '>') return std::nullopt;
  unsigned value = 0;
  for (char c : t.substr(3, 2)) {
    value <<= 4;
    if (c >= '0' && c <= '9')
      value |= static_cast<unsigned>(c - '0');
    else if (c >= 'A' && c <= 'F')
      value |= static_cast<unsigned>(c - 'A' + 10);
    else
      return std::nullopt;
  }
  return static_cast<unsigned char>(value);
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const size_t len = utf8_length(lead);
    if ((len == 1 && lead >= 0x80) || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

// Strips up to `count` copies of `content` from the front (or back) of s.
void strip(std::string& s, std::string_view content, size_t start, size_t stop) {
  size_t b = 0, e = s.size();
  for (size_t i = 0; i < start && s.compare(b, content.size(), content) == 0 && b < e; ++i)
    b += content.size();
  for (size_t i = 0; i < stop && e >= b + content.size() &&
                     s.compare(e - content.size(), content.size(), content) == 0;
       ++i)
    e -= content.size();
  s = s.substr(b, e - b);
}

}  // namespace

std::string HfDecoderChain::decode(const std::vector<std::string_view>& input) const {
  std::vector<std::string> tokens(input.begin(), input.end());
  for (const HfDecoder& step : steps_) {
    std::vector<std::string> next;
    switch (step.kind) {
      case HfDecoder::Kind::kByteLevel: {
        std::string joined;
        for (const std::string& t : tokens) {
          auto bytes = byte_level_to_bytes(t);
          joined += bytes ? *bytes : t;
        }
        next.push_back(std::move(joined));
        break;
      }
      case HfDecoder::Kind::kReplace:
        for (const std::string& t : tokens) next.push_back(replaced(t, step.from, step.to));
        break;
      case HfDecoder::Kind::kByteFallback: {
        std::string pending;  // consecutive <0xXX> bytes
        auto flush = [&] {
          if (pending.empty()) return;
          if (valid_utf8(pending)) {
            next.push_back(pending);
          } else {
            for (size_t i = 0; i < pending.size(); ++i) next.push_back("\xEF\xBF\xBD");  // U+FFFD
          }
          pending.clear();
        };
        for (const std::string& t : tokens) {
          if (auto b = byte_token(t)) {
            pending += static_cast<char>(*b);
          } else {
            flush();
            next.push_back(t);
          }
        }
        flush();
        break;
      }
      case HfDecoder::Kind::kFuse: {
        std::string joined;
        for (const std::string& t : tokens) joined += t;
        next.push_back(std::move(joined));
        break;
      }
      case HfDecoder::Kind::kStrip:
        for (std::string& t : tokens) {
          strip(t, step.strip_content, step.strip_start, step.strip_stop);
          next.push_back(std::move(t));
        }
        break;
      case HfDecoder::Kind::kMetaspace:
        for (size_t i = 0; i < tokens.size(); ++i)
          next.push_back(
              replaced(tokens[i], step.from, i == 0 && step.strip_first_space ? "" : " "));
        break;
    }
    tokens = std::move(next);
  }
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0 && join_with_space_) out += ' ';
    out += tokens[i];
  }
  return out;
}

}  // namespace tpbench::tok
