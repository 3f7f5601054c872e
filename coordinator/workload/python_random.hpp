#pragma once
// CPython's `random` module, bit for bit, for the parts LMDeploy's sampling uses: random.seed(int),
// random.shuffle(list), random.randint(a, b). LMDeploy shuffles ShareGPT with it, so the same seed
// must pick the same conversations here.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace tpbench {

class PythonRandom {
 public:
  // random.seed(seed): MT19937 init_by_array over |seed| split into 32-bit words, little-endian
  // (key [0] for seed 0).
  explicit PythonRandom(int64_t seed);

  uint32_t genrand_uint32();
  // random.getrandbits(k), 0 <= k <= 64.
  uint64_t getrandbits(int k);
  // random._randbelow(n), n >= 1: k = n.bit_length() bits, rejecting r >= n.
  uint64_t randbelow(uint64_t n);
  // random.randint(a, b), a <= b.
  int64_t randint(int64_t a, int64_t b);

  // random.shuffle(items): i from len-1 down to 1, swap items[i] with items[randbelow(i + 1)].
  template <typename T>
  void shuffle(std::span<T> items) {
    for (size_t i = items.size(); i-- > 1;) {
      size_t j = static_cast<size_t>(randbelow(i + 1));
      std::swap(items[i], items[j]);
    }
  }
  template <typename T>
  void shuffle(std::vector<T>& items) {
    shuffle(std::span<T>(items));
  }

 private:
  void init_genrand(uint32_t s);
  void init_by_array(const std::vector<uint32_t>& key);

  static constexpr int kN = 624;
  std::array<uint32_t, kN> mt_{};
  int mti_ = kN + 1;
};

}  // namespace tpbench
