// The client's count of a streamed chunk's text (engine/openai/chunk_token_count.hpp) with the
// real Llama 2 (SentencePiece, dummy prefix) and Llama 3 (tiktoken BPE) tokenizers. The texts are
// the one-token chunks llama.cpp's server sent for stories260K (docs/PERFORMANCE.md "Against
// llama.cpp's server"): each must count 1, where encoding the chunk alone counted " there" and ","
// as 2 (every request's count was about twice the server's usage).
#include <gtest/gtest.h>

#include <string>

#include "engine/openai/chunk_token_count.hpp"
#include "tokenizer/tokenizer.hpp"

namespace tpbench::openai {
namespace {

std::unique_ptr<Tokenizer> tokenizer(const char* name) {
  return load_tokenizer(std::string(TPBENCH_SOURCE_DIR) + "/data/tokenizers/" + name);
}

TEST(ChunkTokenCount, SentencePieceChunksCountWithoutTheDummyPrefix) {
  const auto llama2 = tokenizer("llama2");
  ASSERT_EQ(llama2->kind(), "sentencepiece");
  ASSERT_EQ(llama2->encode(" there", false).size(), 2u);  // what the old count did
  const ChunkTokenCounter counter(*llama2);
  for (const char* one : {" there", " was", " a", ",", ".", "\n"}) {
    EXPECT_EQ(counter.count(one), 1) << "chunk \"" << one << "\"";
  }
  EXPECT_EQ(counter.count(" Once upon a time"), 4);
  EXPECT_EQ(counter.count(" Paris. It is"), 4);
}

TEST(ChunkTokenCount, ByteLevelBpeChunksCountAsBefore) {
  const auto llama3 = tokenizer("llama3");
  const ChunkTokenCounter counter(*llama3);
  for (const char* text : {" there", ",", "\n", " Once upon a time", " Paris. It is"}) {
    EXPECT_EQ(counter.count(text), static_cast<int32_t>(llama3->encode(text, false).size()))
        << "chunk \"" << text << "\"";
  }
}

TEST(ChunkTokenCount, AChunkCountsAtLeastOne) {
  const auto llama2 = tokenizer("llama2");
  const ChunkTokenCounter counter(*llama2);
  EXPECT_EQ(counter.count(""), 1);
}

}  // namespace
}  // namespace tpbench::openai
