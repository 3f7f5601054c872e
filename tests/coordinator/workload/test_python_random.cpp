// PythonRandom against CPython's own random module (python3 subprocess).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "coordinator/workload/python_random.hpp"
#include "dataset_test_util.hpp"

namespace tpbench {
namespace {

std::vector<uint32_t> cpp_shuffle(int64_t seed, size_t n) {
  std::vector<uint32_t> items(n);
  for (size_t i = 0; i < n; ++i) items[i] = static_cast<uint32_t>(i);
  PythonRandom rng(seed);
  rng.shuffle(items);
  return items;
}

TEST(PythonRandom, ShuffleMatchesCPython) {
  const int64_t seeds[] = {0, 1, 42, (int64_t{1} << 40) + 7, -12345, 4294967296LL};
  const size_t sizes[] = {0, 1, 2, 50, 365, 1440};
  for (int64_t seed : seeds) {
    for (size_t n : sizes) {
      const auto expected = nlohmann::json::parse(
          testing::run_reference("shuffle " + std::to_string(seed) + " " + std::to_string(n)));
      EXPECT_EQ(cpp_shuffle(seed, n), expected.get<std::vector<uint32_t>>())
          << "seed " << seed << " size " << n;
    }
  }
}

TEST(PythonRandom, NegativeSeedIsItsAbsoluteValue) {
  EXPECT_EQ(cpp_shuffle(-42, 100), cpp_shuffle(42, 100));
  EXPECT_NE(cpp_shuffle(43, 100), cpp_shuffle(42, 100));
}

TEST(PythonRandom, FirstWordsOfSeedZero) {
  // CPython: random.seed(0); random.getrandbits(32) three times.
  PythonRandom rng(0);
  EXPECT_EQ(rng.getrandbits(32), 3626764237U);
  EXPECT_EQ(rng.getrandbits(32), 1654615998U);
  EXPECT_EQ(rng.getrandbits(32), 3255389356U);
}

}  // namespace
}  // namespace tpbench
