#pragma once
// GPT-2's byte <-> printable-character table, in which byte-level BPE vocabularies
// (GPT-2, Llama 3, Qwen2 tokenizer.json) spell raw bytes: 'Ġ' is the space byte, etc.
#include <optional>
#include <string>
#include <string_view>

namespace tpbench::tok {

// The raw bytes a byte-level vocabulary string stands for; nullopt when it holds a character
// outside the table (an added token spelled as plain text, for example).
std::optional<std::string> byte_level_to_bytes(std::string_view spelled);

// Appends the UTF-8 encoding of code point cp.
void append_utf8(std::string& out, char32_t cp);

// Length of the UTF-8 sequence that starts with byte `lead` (1 for invalid lead bytes).
inline size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace tpbench::tok
