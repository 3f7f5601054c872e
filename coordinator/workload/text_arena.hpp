#pragma once
// Append-only storage for many strings: large blocks that never move, so string_views into it
// stay valid for the arena's life (and across moves of the arena).
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace tpbench {

class TextArena {
 public:
  explicit TextArena(size_t block_bytes = size_t{64} << 20) : block_bytes_(block_bytes) {}

  // Room for at least `bytes` bytes at the write position; valid until the next reserve().
  char* reserve(size_t bytes) {
    if (blocks_.empty() || capacity_ - used_ < bytes) {
      capacity_ = bytes > block_bytes_ ? bytes : block_bytes_;
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(capacity_));
      used_ = 0;
    }
    return blocks_.back().get() + used_;
  }
  // Keeps the first `bytes` bytes written at the pointer reserve() returned.
  std::string_view commit(size_t bytes) {
    std::string_view kept(blocks_.back().get() + used_, bytes);
    used_ += bytes;
    return kept;
  }
  std::string_view append(std::string_view text) {
    char* dst = reserve(text.size());
    if (!text.empty()) std::char_traits<char>::copy(dst, text.data(), text.size());
    return commit(text.size());
  }

  // Undo the latest commits when they are still in the current block (else the bytes are wasted).
  struct Mark {
    size_t block;
    size_t used;
  };
  Mark mark() const { return {blocks_.size(), used_}; }
  void rewind(Mark m) {
    if (m.block == blocks_.size()) used_ = m.used;
  }

 private:
  size_t block_bytes_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t capacity_ = 0;
  size_t used_ = 0;
};

}  // namespace tpbench
