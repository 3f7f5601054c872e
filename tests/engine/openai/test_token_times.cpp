#include <gtest/gtest.h>

#include "engine/openai/openai_engine.hpp"
#include "engine/openai/token_times.hpp"

namespace tpbench::openai {
namespace {

TEST(ChunkTokenTimes, FirstChunkPutsEveryTokenAtItsArrival) {
  EXPECT_EQ(chunk_token_times(-1, 1000, 3), (std::vector<int64_t>{1000, 1000, 1000}));
}

TEST(ChunkTokenTimes, LaterChunkSplitsTheGapEvenlyAndEndsOnItsArrival) {
  EXPECT_EQ(chunk_token_times(1000, 1900, 3), (std::vector<int64_t>{1300, 1600, 1900}));
  EXPECT_EQ(chunk_token_times(1000, 1900, 1), (std::vector<int64_t>{1900}));
}

TEST(ChunkTokenTimes, NoTokenCountIsOneToken) {
  EXPECT_EQ(chunk_token_times(10, 20, 0), (std::vector<int64_t>{20}));
}

TEST(ChunkTokenTimes, AChunkNoLaterThanThePreviousTakesItsArrival) {
  EXPECT_EQ(chunk_token_times(50, 50, 2), (std::vector<int64_t>{50, 50}));
}

TEST(NormalizedBaseUrl, DropsTrailingSlashesAndV1) {
  EXPECT_EQ(normalized_base_url("http://h:8000/"), "http://h:8000");
  EXPECT_EQ(normalized_base_url("http://h:8000/v1"), "http://h:8000");
  EXPECT_EQ(normalized_base_url("http://h:8000/v1/"), "http://h:8000");
  EXPECT_EQ(normalized_base_url("http://h:8000/a=1/v1"), "http://h:8000/a=1");
}

}  // namespace
}  // namespace tpbench::openai
