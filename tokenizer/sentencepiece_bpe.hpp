#pragma once
// A SentencePiece BPE model (Llama 2, Mistral, CodeLlama) run on the project's own char-level
// BPE: the identity normalizer (dummy prefix, whitespace escaping, extra-whitespace removal,
// U+FFFD for malformed UTF-8) followed by SentencePiece's BPE, which repeatedly merges the
// adjacent pair whose concatenation is the highest-scoring piece, leftmost on ties. That is
// CharBpe with each pair ranked by the merged piece's score (equal scores, equal ranks).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/char_bpe.hpp"
#include "tokenizer/sentencepiece_model_spec.hpp"

namespace tpbench::tok {

struct SentencePieceEntry {
  std::string text;
  float score = 0;
  SentencePieceType type = SentencePieceType::kNormal;
};

class SentencePieceBpe {
 public:
  // nullptr, with the reason in `why_not`, when the model needs something this engine does
  // not reproduce (not BPE, a normalization rule, user-defined or unused pieces, ...).
  static std::unique_ptr<SentencePieceBpe> build(const std::vector<SentencePieceEntry>& pieces,
                                                 const SentencePieceModelSpec& spec, int32_t unk_id,
                                                 std::string& why_not);

  // Appends the ids libsentencepiece's Encode(text) gives; `serial` names the piece cache.
  void encode(std::string_view text, uint64_t serial, std::vector<int32_t>& ids) const;

  // SentencePiece's normalization of `text` into `out` (exposed for tests).
  void normalize(std::string_view text, std::string& out) const;

 private:
  SentencePieceBpe(std::unique_ptr<CharBpe> bpe, const SentencePieceModelSpec& spec);

  std::unique_ptr<CharBpe> bpe_;
  bool add_dummy_prefix_;
  bool remove_extra_whitespaces_;
  std::string_view space_;  // what ' ' becomes: "▁", or " " when not escaped
};

}  // namespace tpbench::tok
