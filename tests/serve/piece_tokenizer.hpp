#pragma once
// A tokenizer whose decode concatenates fixed byte strings, one per id: tests choose exactly
// which bytes each token adds.
#include <stdexcept>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace tpbench::serve::test {

class PieceTokenizer : public Tokenizer {
 public:
  explicit PieceTokenizer(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
  std::vector<int32_t> encode(std::string_view, bool) const override {
    throw std::logic_error("PieceTokenizer cannot encode");
  }
  std::string decode(std::span<const int32_t> ids) const override {
    std::string text;
    for (int32_t id : ids) text += pieces_.at(static_cast<size_t>(id));
    return text;
  }
  int32_t bos_id() const override { return 1; }
  int32_t eos_id() const override { return 2; }
  int32_t vocab_size() const override { return static_cast<int32_t>(pieces_.size()); }
  std::string kind() const override { return "pieces"; }

 private:
  std::vector<std::string> pieces_;
};

}  // namespace tpbench::serve::test
