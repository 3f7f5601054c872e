#include "tokenizer/char_bpe.hpp"

#include <cstdio>

#include "tokenizer/byte_level.hpp"
#include "tokenizer/piece_cache.hpp"

namespace tpbench::tok {

namespace {

bool has_metaspace_after_other_char(std::string_view token) {
  for (size_t pos = token.find(kMetaspace, 1); pos != std::string_view::npos;
       pos = token.find(kMetaspace, pos + 1)) {
    if (pos < kMetaspace.size() ||
        token.substr(pos - kMetaspace.size(), kMetaspace.size()) != kMetaspace)
      return true;
  }
  return false;
}

}  // namespace

CharBpe::CharBpe(StringIdMap vocab, CharBpeOptions options)
    : vocab_(std::move(vocab)), options_(options) {
  for (int c = 0; c < 128; ++c)
    ascii_ids_[c] = find_id(vocab_, std::string(1, static_cast<char>(c)));
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    byte_ids_[b] = find_id(vocab_, name);
  }
  split_at_metaspace_ = vocab_.count(std::string(kMetaspace)) > 0;
  for (const auto& [token, id] : vocab_)
    if (has_metaspace_after_other_char(token)) {
      split_at_metaspace_ = false;
      break;
    }
}

void CharBpe::encode_word(std::string_view word, uint64_t serial, std::vector<int32_t>& out) const {
  if (!split_at_metaspace_) {
    encode_chunk(word, serial, out);
    return;
  }
  size_t chunk_start = 0;
  for (size_t pos = word.find(kMetaspace, 1); pos != std::string_view::npos;
       pos = word.find(kMetaspace, pos + kMetaspace.size())) {
    const bool after_metaspace =
        pos >= kMetaspace.size() &&
        word.substr(pos - kMetaspace.size(), kMetaspace.size()) == kMetaspace;
    if (after_metaspace || pos == chunk_start) continue;
    encode_chunk(word.substr(chunk_start, pos - chunk_start), serial, out);
    chunk_start = pos;
  }
  encode_chunk(word.substr(chunk_start), serial, out);
}

void CharBpe::encode_chunk(std::string_view chunk, uint64_t serial,
                           std::vector<int32_t>& out) const {
  if (chunk.empty()) return;
  if (options_.ignore_merges) {
    const int32_t id = find_id(vocab_, chunk);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  PieceCache& cache = PieceCache::for_thread(serial);
  if (cache.lookup(chunk, out)) return;
  thread_local std::vector<int32_t> ids;
  ids.clear();
  initial_symbols(chunk, ids);
  bpe_merge(ids, pairs_);
  cache.store(chunk, ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

bool CharBpe::has_byte_tokens(std::string_view character) const {
  for (char c : character)
    if (byte_ids_[static_cast<unsigned char>(c)] < 0) return false;
  return true;
}

void CharBpe::initial_symbols(std::string_view chunk, std::vector<int32_t>& ids) const {
  bool last_was_unk = false;
  for (size_t i = 0; i < chunk.size();) {
    const auto lead = static_cast<unsigned char>(chunk[i]);
    const size_t len = std::min(utf8_length(lead), chunk.size() - i);
    const int32_t id = lead < 0x80 ? ascii_ids_[lead] : find_id(vocab_, chunk.substr(i, len));
    if (id >= 0) {
      ids.push_back(id);
      last_was_unk = false;
    } else if (options_.byte_fallback && has_byte_tokens(chunk.substr(i, len))) {
      for (size_t k = 0; k < len; ++k)
        ids.push_back(byte_ids_[static_cast<unsigned char>(chunk[i + k])]);
      last_was_unk = false;
    } else if (options_.unk_id >= 0) {
      if (!(options_.fuse_unk && last_was_unk)) ids.push_back(options_.unk_id);
      last_was_unk = true;
    }
    i += len;
  }
}

}  // namespace tpbench::tok
