#include "tokenizer/piece_cache.hpp"

#include <array>
#include <atomic>

namespace tpbench::tok {

namespace {
constexpr size_t kMaxEntries = 1 << 17;
constexpr size_t kMaxPieceBytes = 256;  // long pieces rarely repeat
constexpr size_t kSlotsPerThread = 4;
}  // namespace

uint64_t PieceCache::next_serial() {
  static std::atomic<uint64_t> serial{0};
  return ++serial;
}

PieceCache& PieceCache::for_thread(uint64_t tokenizer_serial) {
  thread_local std::array<PieceCache, kSlotsPerThread> slots;
  thread_local uint64_t clock = 0;
  ++clock;
  PieceCache* victim = &slots[0];
  for (PieceCache& slot : slots) {
    if (slot.owner_ == tokenizer_serial) {
      slot.last_use_ = clock;
      return slot;
    }
    if (slot.last_use_ < victim->last_use_) victim = &slot;
  }
  victim->clear();
  victim->owner_ = tokenizer_serial;
  victim->last_use_ = clock;
  return *victim;
}

void PieceCache::clear() {
  index_.clear();
  ids_.clear();
}

void PieceCache::store(std::string_view piece, std::span<const int32_t> ids) {
  if (piece.size() > kMaxPieceBytes) return;
  if (index_.size() >= kMaxEntries) clear();
  index_.emplace(std::string(piece),
                 std::pair<uint32_t, uint32_t>(static_cast<uint32_t>(ids_.size()),
                                               static_cast<uint32_t>(ids.size())));
  ids_.insert(ids_.end(), ids.begin(), ids.end());
}

}  // namespace tpbench::tok
