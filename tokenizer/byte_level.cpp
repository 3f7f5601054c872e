#include "tokenizer/byte_level.hpp"

#include <array>
#include <unordered_map>

namespace tpbench::tok {

namespace {

// Printable bytes keep their own code point; the other 68 get 256, 257, ... in byte order.
std::unordered_map<char32_t, unsigned char> build_char_to_byte() {
  std::unordered_map<char32_t, unsigned char> table;
  char32_t next_extra = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    table[printable ? static_cast<char32_t>(b) : next_extra++] = static_cast<unsigned char>(b);
  }
  return table;
}

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::string> byte_level_to_bytes(std::string_view spelled) {
  static const std::unordered_map<char32_t, unsigned char> char_to_byte = build_char_to_byte();
  std::string bytes;
  bytes.reserve(spelled.size());
  for (size_t i = 0; i < spelled.size();) {
    const auto lead = static_cast<unsigned char>(spelled[i]);
    const size_t len = utf8_length(lead);
    if (i + len > spelled.size()) return std::nullopt;
    char32_t cp = len == 1 ? lead : lead & (0x7F >> len);
    for (size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(spelled[i + k]) & 0x3F);
    auto it = char_to_byte.find(cp);
    if (it == char_to_byte.end()) return std::nullopt;
    bytes += static_cast<char>(it->second);
    i += len;
  }
  return bytes;
}

}  // namespace tpbench::tok
