#pragma once
// Output text as tokens arrive. Each push() returns the text the new token completes; bytes that
// do not form whole UTF-8 characters yet (a byte-fallback piece of a longer character) are held
// until they do. The concatenation of every push() and finish() is the decode of all the ids
// (ids the tokenizer cannot decode add no text).
//
// It decodes a short window (the tokens since the last emitted text, plus the one before them)
// rather than every id so far, as vLLM's and TGI's detokenizers do: decoding a window keeps the
// word-leading space a SentencePiece decode drops at the start of a text.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.hpp"

namespace tpbench::serve {

class IncrementalText {
 public:
  explicit IncrementalText(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  std::string push(int32_t token);
  // Whatever is still held (incomplete characters as the tokenizer decodes them).
  std::string finish();

  const std::vector<int32_t>& ids() const { return ids_; }

 private:
  std::string delta(bool final);

  const Tokenizer& tokenizer_;
  std::vector<int32_t> ids_;
  size_t prefix_offset_ = 0;  // the window's start
  size_t read_offset_ = 0;    // ids before it have been emitted
};

// Whether text ends inside a UTF-8 character, or with U+FFFD (what decoders give for one).
bool ends_with_partial_character(const std::string& text);

}  // namespace tpbench::serve
