#pragma once
// HF's BPE model over characters, as SentencePiece-converted tokenizer.json files use it
// (Llama 2, Mistral): each UTF-8 character starts as its vocabulary token; a character not in
// the vocabulary becomes its <0xXX> byte tokens (byte_fallback) or the unknown token.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/pair_table.hpp"
#include "tokenizer/string_id_map.hpp"

namespace tpbench::tok {

struct CharBpeOptions {
  int32_t unk_id = -1;  // -1: characters with no token are dropped, as HF does
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;  // a word that is a token is taken whole
};

class CharBpe {
 public:
  CharBpe(StringIdMap vocab, CharBpeOptions options);
  void add_merge(int32_t left, int32_t right, int32_t merged, int32_t rank) {
    pairs_.insert(left, right, rank, merged);
  }
  void reserve_pairs(size_t n) { pairs_.reserve(n); }
  const StringIdMap& vocab() const { return vocab_; }

  // Appends the ids of one pre-tokenized word; `serial` names the caller's piece cache.
  void encode_word(std::string_view word, uint64_t serial, std::vector<int32_t>& out) const;

 private:
  void encode_chunk(std::string_view chunk, uint64_t serial, std::vector<int32_t>& out) const;
  bool has_byte_tokens(std::string_view character) const;
  void initial_symbols(std::string_view chunk, std::vector<int32_t>& ids) const;

  StringIdMap vocab_;
  CharBpeOptions options_;
  PairTable pairs_;
  std::array<int32_t, 128> ascii_ids_{};
  std::array<int32_t, 256> byte_ids_{};  // <0xXX> tokens; -1 when absent
  // True when no token has "▁" right after another character: then no merge crosses the
  // start of a "▁" run, and a long word can be merged one "▁..." chunk at a time.
  bool split_at_metaspace_ = false;
};

inline constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581 '▁'

}  // namespace tpbench::tok
