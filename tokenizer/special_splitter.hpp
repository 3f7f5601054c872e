#pragma once
// Finds added/special tokens (e.g. "<|eot_id|>", "<s>") in raw text, as HF tokenizers does
// before normalizing: leftmost match, longest token on ties.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tpbench::tok {

struct SpecialToken {
  std::string content;
  int32_t id = -1;
  bool lstrip = false;  // also swallow whitespace left of the match
  bool rstrip = false;  // ... and right of it
};

class SpecialSplitter {
 public:
  void add(SpecialToken token);
  bool empty() const { return tokens_.empty(); }

  // Walks `text`: on_text(segment) for the text between specials (only non-empty ones),
  // on_special(id) for each special found.
  template <typename OnText, typename OnSpecial>
  void split(std::string_view text, OnText&& on_text, OnSpecial&& on_special) const {
    size_t segment_start = 0, pos = 0;
    while (pos < text.size()) {
      const SpecialToken* hit =
          first_byte_[static_cast<unsigned char>(text[pos])] ? match_at(text, pos) : nullptr;
      if (!hit) {
        ++pos;
        continue;
      }
      size_t left = pos, right = pos + hit->content.size();
      if (hit->lstrip)
        while (left > segment_start && is_space(text[left - 1])) --left;
      if (hit->rstrip)
        while (right < text.size() && is_space(text[right])) ++right;
      if (left > segment_start) on_text(text.substr(segment_start, left - segment_start));
      on_special(hit->id);
      segment_start = pos = right;
    }
    if (segment_start < text.size()) on_text(text.substr(segment_start));
  }

 private:
  static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  }
  const SpecialToken* match_at(std::string_view text, size_t pos) const;

  std::vector<SpecialToken> tokens_;  // longest first
  std::array<bool, 256> first_byte_{};
};

}  // namespace tpbench::tok
