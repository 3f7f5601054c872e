#pragma once
// How many tokens a streamed chunk's text stands for, when the server sent neither ids nor usage
// growth: the client tokenizer's count of the text as the continuation it is.
#include <cstdint>
#include <string_view>

#include "tokenizer/tokenizer.hpp"

namespace tpbench::openai {

// A chunk is the middle of a text, not its start: encoding it alone would add what a tokenizer
// puts at a text's start (SentencePiece's dummy-prefix "▁": " there" would count 2, "," 2).
// So the text is encoded after a newline and the newline's own tokens are taken off; a newline
// neither merges with the next word nor carries a prefix of its own past the first. At least 1.
class ChunkTokenCounter {
 public:
  explicit ChunkTokenCounter(const Tokenizer& tokenizer);
  int32_t count(std::string_view text) const;

 private:
  const Tokenizer& tokenizer_;
  int64_t anchor_tokens_;
};

}  // namespace tpbench::openai
