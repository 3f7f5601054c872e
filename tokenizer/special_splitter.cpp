#include "tokenizer/special_splitter.hpp"

#include <algorithm>

namespace tpbench::tok {

void SpecialSplitter::add(SpecialToken token) {
  if (token.content.empty()) return;
  first_byte_[static_cast<unsigned char>(token.content[0])] = true;
  tokens_.push_back(std::move(token));
  std::stable_sort(tokens_.begin(), tokens_.end(), [](const auto& a, const auto& b) {
    return a.content.size() > b.content.size();
  });
}

const SpecialToken* SpecialSplitter::match_at(std::string_view text, size_t pos) const {
  const std::string_view rest = text.substr(pos);
  for (const SpecialToken& t : tokens_)
    if (rest.starts_with(t.content)) return &t;
  return nullptr;
}

}  // namespace tpbench::tok
