#pragma once
// Byte-level BPE over raw bytes: every byte is a token, merges join adjacent tokens.
// Serves tiktoken ranks (Llama 3) and HF byte-level tokenizer.json (whose vocabulary is
// converted from the GPT-2 character spelling back to raw bytes at load time).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/pair_table.hpp"
#include "tokenizer/string_id_map.hpp"

namespace tpbench::tok {

class ByteBpe {
 public:
  void add_token(std::string bytes, int32_t id);
  const int32_t* find_token(std::string_view bytes) const;
  void add_merge(int32_t left, int32_t right, int32_t merged, int32_t rank) {
    pairs_.insert(left, right, rank, merged);
  }
  // A piece that is itself a token becomes that token without merging (tiktoken does this;
  // HF does when the model says ignore_merges).
  void set_whole_piece_shortcut(bool on) { whole_piece_shortcut_ = on; }
  // Throws InputError "<origin>: ..." when a single byte has no token.
  void check_complete(const std::string& origin) const;
  void reserve_pairs(size_t n) { pairs_.reserve(n); }
  size_t merge_count() const { return pairs_.size(); }

  // Appends the ids of one pre-token piece; `serial` names the caller's piece cache.
  void encode_piece(std::string_view piece, uint64_t serial, std::vector<int32_t>& out) const;

 private:
  StringIdMap token_ids_;
  std::array<int32_t, 256> byte_ids_{};
  PairTable pairs_;
  bool whole_piece_shortcut_ = false;
  bool byte_ids_set_ = false;
};

}  // namespace tpbench::tok
