#pragma once
// A PCRE2 pattern (UTF + UCP, JIT-compiled) that finds pre-token matches in text.
// Safe to use from several threads: match data and JIT stacks are per thread.
#include <memory>
#include <string>
#include <string_view>

namespace tpbench::tok {

class RegexSplitter {
 public:
  // Throws InputError "<origin>: bad regex ..." when the pattern does not compile.
  RegexSplitter(const std::string& pattern, bool literal, const std::string& origin);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  // Calls on_match(begin, end) for each non-empty match, left to right (byte offsets).
  // Bytes of invalid UTF-8 never match; callers treat them as gaps.
  template <typename OnMatch>
  void for_each_match(std::string_view text, OnMatch&& on_match) const {
    size_t start = 0;
    while (start < text.size()) {
      size_t begin = 0, end = 0;
      if (!next_match(text, start, begin, end)) break;
      if (end > begin) on_match(begin, end);
      start = end > begin ? end : next_char(text, begin);
    }
  }

  // Calls on_piece(begin, end) for the matches and the non-empty stretches between them,
  // left to right: HF's Split with behavior Isolated. Together they cover all of `text`.
  template <typename OnPiece>
  void for_each_piece(std::string_view text, OnPiece&& on_piece) const {
    size_t covered = 0;
    for_each_match(text, [&](size_t b, size_t e) {
      if (b > covered) on_piece(covered, b);
      on_piece(b, e);
      covered = e;
    });
    if (covered < text.size()) on_piece(covered, text.size());
  }

 private:
  static size_t next_char(std::string_view text, size_t pos) {
    ++pos;
    while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
    return pos;
  }
  bool next_match(std::string_view text, size_t start, size_t& begin, size_t& end) const;

  struct Code;
  std::unique_ptr<Code> code_;
  std::string origin_;
};

// The pre-tokenizer pattern of Meta's Llama 3 tokenizer (also tiktoken's cl100k_base).
inline constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// GPT-2's pattern, which HF's ByteLevel pre-tokenizer applies when use_regex is true.
inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace tpbench::tok
