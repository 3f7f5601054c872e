#include "tokenizer/byte_bpe.hpp"

#include "common/error.hpp"
#include "tokenizer/piece_cache.hpp"

namespace tpbench::tok {

void ByteBpe::add_token(std::string bytes, int32_t id) {
  if (!byte_ids_set_) {
    byte_ids_.fill(-1);
    byte_ids_set_ = true;
  }
  if (bytes.size() == 1) byte_ids_[static_cast<unsigned char>(bytes[0])] = id;
  token_ids_.emplace(std::move(bytes), id);
}

const int32_t* ByteBpe::find_token(std::string_view bytes) const {
  auto it = token_ids_.find(bytes);
  return it == token_ids_.end() ? nullptr : &it->second;
}

void ByteBpe::check_complete(const std::string& origin) const {
  for (int b = 0; b < 256; ++b)
    if (!byte_ids_set_ || byte_ids_[b] < 0)
      throw InputError(origin + ": byte-level vocabulary has no token for byte " +
                       std::to_string(b));
}

void ByteBpe::encode_piece(std::string_view piece, uint64_t serial,
                           std::vector<int32_t>& out) const {
  if (piece.empty()) return;
  if (piece.size() == 1) {
    out.push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  if (whole_piece_shortcut_) {
    if (const int32_t* id = find_token(piece)) {
      out.push_back(*id);
      return;
    }
  }
  PieceCache& cache = PieceCache::for_thread(serial);
  if (cache.lookup(piece, out)) return;
  thread_local std::vector<int32_t> ids;
  ids.clear();
  for (char c : piece) ids.push_back(byte_ids_[static_cast<unsigned char>(c)]);
  bpe_merge(ids, pairs_);
  cache.store(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

}  // namespace tpbench::tok
