#include "serve/incremental_text.hpp"

#include <algorithm>
#include <exception>
#include <span>

namespace tpbench::serve {

bool ends_with_partial_character(const std::string& text) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  if (text.size() >= 3 && text.compare(text.size() - 3, 3, kReplacement) == 0) return true;
  // Walk back over continuation bytes to the lead byte of the last character.
  size_t continuation = 0;
  size_t i = text.size();
  while (i > 0 && (static_cast<unsigned char>(text[i - 1]) & 0xC0) == 0x80 && continuation < 4) {
    --i;
    ++continuation;
  }
  if (i == 0) return continuation > 0;
  const auto lead = static_cast<unsigned char>(text[i - 1]);
  size_t needed = 0;
  if ((lead & 0x80) == 0)
    needed = 0;
  else if ((lead & 0xE0) == 0xC0)
    needed = 1;
  else if ((lead & 0xF0) == 0xE0)
    needed = 2;
  else if ((lead & 0xF8) == 0xF0)
    needed = 3;
  else
    return false;  // not UTF-8 at all: nothing to wait for
  return continuation < needed;
}

IncrementalText::IncrementalText(const Tokenizer& tokenizer, std::span<const int32_t> context)
    : tokenizer_(tokenizer) {
  const size_t keep = std::min(context.size(), kContextIds);
  ids_.assign(context.end() - static_cast<std::ptrdiff_t>(keep), context.end());
  read_offset_ = ids_.size();
}

std::string IncrementalText::push(int32_t token) {
  ids_.push_back(token);
  generated_.push_back(token);
  return delta(false);
}

std::string IncrementalText::finish() {
  return delta(true);
}

std::string IncrementalText::delta(bool final) {
  const std::span<const int32_t> all(ids_);
  if (read_offset_ == ids_.size()) return "";
  std::string before, now;
  try {
    before = tokenizer_.decode(all.subspan(prefix_offset_, read_offset_ - prefix_offset_));
    now = tokenizer_.decode(all.subspan(prefix_offset_));
  } catch (const std::exception&) {
    // An id the tokenizer cannot decode (the sim backend draws from its own vocabulary): no
    // text for this window, and the next window starts after it.
    prefix_offset_ = read_offset_ = ids_.size();
    return "";
  }
  if (!final && (now.size() <= before.size() || ends_with_partial_character(now))) return "";
  std::string out = now.size() > before.size() && now.compare(0, before.size(), before) == 0
                        ? now.substr(before.size())
                        : std::string();
  prefix_offset_ = read_offset_;
  read_offset_ = ids_.size();
  return out;
}

}  // namespace tpbench::serve
