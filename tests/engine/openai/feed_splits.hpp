#pragma once
// Feeding one byte string to a stream parser in every way a transport could cut it: whole, split
// at each byte offset, byte by byte, and (for short inputs) split at every pair of offsets.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tpbench::openai::test {

// Calls `check(pieces, description)` for each way of cutting `bytes`.
inline void for_each_cut(
    std::string_view bytes,
    const std::function<void(const std::vector<std::string_view>&, const std::string&)>& check,
    size_t pair_cut_limit = 160) {
  check({bytes}, "whole");
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    check({bytes.substr(0, cut), bytes.substr(cut)}, "cut at " + std::to_string(cut));
  }
  std::vector<std::string_view> singles;
  for (size_t i = 0; i < bytes.size(); ++i) singles.push_back(bytes.substr(i, 1));
  check(singles, "byte by byte");
  if (bytes.size() > pair_cut_limit) return;
  for (size_t a = 1; a < bytes.size(); ++a) {
    for (size_t b = a + 1; b < bytes.size(); ++b) {
      check({bytes.substr(0, a), bytes.substr(a, b - a), bytes.substr(b)},
            "cuts at " + std::to_string(a) + " and " + std::to_string(b));
    }
  }
}

// The same text with its LF line ends turned into CRLF or CR.
inline std::string with_line_ends(std::string_view lf_text, std::string_view line_end) {
  std::string out;
  for (char c : lf_text) {
    if (c == '\n') {
      out.append(line_end);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace tpbench::openai::test
