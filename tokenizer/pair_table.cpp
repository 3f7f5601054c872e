#include "tokenizer/pair_table.hpp"

#include <limits>
#include <queue>

namespace tpbench::tok {

void PairTable::reserve(size_t pairs) {
  size_t cap = 16;
  while (cap < pairs * 2) cap <<= 1;
  if (cap <= keys_.size()) return;
  std::vector<uint64_t> old_keys = std::move(keys_);
  std::vector<PairMerge> old_values = std::move(values_);
  keys_.assign(cap, kEmpty);
  values_.assign(cap, PairMerge{0, 0});
  mask_ = cap - 1;
  shift_ = 64 - __builtin_ctzll(cap);
  size_ = 0;
  for (size_t i = 0; i < old_keys.size(); ++i) {
    if (old_keys[i] == kEmpty) continue;
    size_t slot = hash(old_keys[i]);
    while (keys_[slot] != kEmpty) slot = (slot + 1) & mask_;
    keys_[slot] = old_keys[i];
    values_[slot] = old_values[i];
    ++size_;
  }
}

void PairTable::grow() {
  reserve(keys_.empty() ? 8 : keys_.size());
}

void PairTable::insert(int32_t left, int32_t right, int32_t rank, int32_t merged) {
  if ((size_ + 1) * 2 > keys_.size()) grow();
  const uint64_t key = pack(left, right);
  size_t slot = hash(key);
  while (keys_[slot] != kEmpty) {
    if (keys_[slot] == key) return;
    slot = (slot + 1) & mask_;
  }
  keys_[slot] = key;
  values_[slot] = PairMerge{rank, merged};
  ++size_;
}

namespace {
constexpr int32_t kNoMerge = std::numeric_limits<int32_t>::max();
constexpr size_t kHeapFromLength = 96;
}  // namespace

void bpe_merge_quadratic(std::vector<int32_t>& ids, const PairTable& pairs) {
  if (ids.size() < 2) return;
  // ranks[i]: rank of merging ids[i] with ids[i + 1].
  thread_local std::vector<int32_t> ranks;
  ranks.resize(ids.size() - 1);
  auto rank_at = [&](size_t i) {
    const PairMerge* m = pairs.find(ids[i], ids[i + 1]);
    return m ? m->rank : kNoMerge;
  };
  for (size_t i = 0; i + 1 < ids.size(); ++i) ranks[i] = rank_at(i);
  while (!ranks.empty()) {
    size_t best = 0;
    for (size_t i = 1; i < ranks.size(); ++i)
      if (ranks[i] < ranks[best]) best = i;
    if (ranks[best] == kNoMerge) break;
    ids[best] = pairs.find(ids[best], ids[best + 1])->merged;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    ranks.erase(ranks.begin() + static_cast<std::ptrdiff_t>(best));
    if (best < ranks.size()) ranks[best] = rank_at(best);
    if (best > 0) ranks[best - 1] = rank_at(best - 1);
  }
}

void bpe_merge_heap(std::vector<int32_t>& ids, const PairTable& pairs) {
  const size_t n = ids.size();
  if (n < 2) return;
  // Symbols form a linked list over the original positions; a dead symbol has id -1.
  thread_local std::vector<int32_t> prev, next;
  prev.resize(n);
  next.resize(n);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  struct Candidate {
    int32_t rank;
    int32_t pos;  // left symbol; its original position orders ties leftmost-first
    int32_t left_id;
    int32_t right_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto push = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    const int32_t r = next[pos];
    if (const PairMerge* m = pairs.find(ids[pos], ids[r]))
      queue.push({m->rank, pos, ids[pos], ids[r]});
  };
  for (size_t i = 0; i + 1 < n; ++i) push(static_cast<int32_t>(i));
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const int32_t r = next[c.pos];
    if (ids[c.pos] != c.left_id || r < 0 || ids[r] != c.right_id) continue;  // stale
    ids[c.pos] = pairs.find(c.left_id, c.right_id)->merged;
    ids[r] = -1;
    next[c.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = c.pos;
    push(prev[c.pos]);
    push(c.pos);
  }
  size_t out = 0;
  for (size_t i = 0; i < n; ++i)
    if (ids[i] >= 0) ids[out++] = ids[i];
  ids.resize(out);
}

void bpe_merge(std::vector<int32_t>& ids, const PairTable& pairs) {
  if (ids.size() < kHeapFromLength)
    bpe_merge_quadratic(ids, pairs);
  else
    bpe_merge_heap(ids, pairs);
}

}  // namespace tpbench::tok
