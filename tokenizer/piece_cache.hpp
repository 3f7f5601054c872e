#pragma once
// Per-thread cache of "pre-token piece -> ids", so each distinct word is merged once per
// thread. Thread-local, so encode() stays lock-free; each tokenizer has its own slot, keyed
// by a serial number (not its address, which a later tokenizer may reuse).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tpbench::tok {

class PieceCache {
 public:
  // The cache of the calling thread for the tokenizer with this serial.
  static PieceCache& for_thread(uint64_t tokenizer_serial);
  static uint64_t next_serial();

  // Appends the cached ids of `piece` to `out`; false when not cached.
  bool lookup(std::string_view piece, std::vector<int32_t>& out) const {
    auto it = index_.find(piece);
    if (it == index_.end()) return false;
    out.insert(out.end(), ids_.begin() + it->second.first,
               ids_.begin() + it->second.first + it->second.second);
    return true;
  }
  void store(std::string_view piece, std::span<const int32_t> ids);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void clear();

  uint64_t owner_ = 0;
  uint64_t last_use_ = 0;
  std::unordered_map<std::string, std::pair<uint32_t, uint32_t>, Hash, std::equal_to<>> index_;
  std::vector<int32_t> ids_;
};

}  // namespace tpbench::tok
