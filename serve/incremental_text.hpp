#pragma once
// Output text as tokens arrive. Each push() returns the text the new token completes; bytes that
// do not form whole UTF-8 characters yet (a byte-fallback piece of a longer character) are held
// until they do. The concatenation of every push() and finish() is the decode of all the ids
// (ids the tokenizer cannot decode add no text).
//
// It decodes a short window (the tokens since the last emitted text, plus the one before them)
// rather than every id so far, as vLLM's and TGI's detokenizers do. The window starts in the
// prompt's last ids, so the first token's word-leading space survives (a SentencePiece decode
// drops the space at the start of a text): "Once" + [" upon"] gives " upon", not "upon".
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace tpbench::serve {

class IncrementalText {
 public:
  // context: the prompt (its last kContextIds ids are used); empty for a text of its own.
  IncrementalText(const Tokenizer& tokenizer, std::span<const int32_t> context = {});

  std::string push(int32_t token);
  // Whatever is still held (incomplete characters as the tokenizer decodes them).
  std::string finish();

  // The ids pushed so far (not the context).
  const std::vector<int32_t>& ids() const { return generated_; }

  static constexpr size_t kContextIds = 5;

 private:
  std::string delta(bool final);

  const Tokenizer& tokenizer_;
  std::vector<int32_t> ids_;  // the context's ids, then the pushed ones
  std::vector<int32_t> generated_;
  size_t prefix_offset_ = 0;  // the window's start
  size_t read_offset_ = 0;    // ids before it have been emitted
};

// Whether text ends inside a UTF-8 character, or with U+FFFD (what decoders give for one).
bool ends_with_partial_character(const std::string& text);

}  // namespace tpbench::serve
