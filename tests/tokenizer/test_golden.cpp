// The golden ids HF's Llama 2 / Llama 3 tokenizers give for 46 tricky inputs.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/tokenizers_internal.hpp"
#include "tests/tokenizer/test_data.hpp"
#include "tests/tokenizer/tokenizers_under_test.hpp"

namespace tpbench {
namespace {

using testing::data_dir;
using testing::read_golden;

void expect_golden(const Tokenizer& tok, const std::string& out_suffix) {
  const auto dir = data_dir() / "tokenizers" / "testvec";
  const auto cases =
      read_golden(dir / "tokenizer-testvec.inp", dir / ("tokenizer-testvec." + out_suffix));
  ASSERT_EQ(cases.size(), 46u);
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(tok.encode(cases[i].text, false), cases[i].ids)
        << "case " << i << " text '" << cases[i].text << "'";
}

TEST(GoldenVectors, InputSplitHasExpectedBoundaries) {
  const auto dir = data_dir() / "tokenizers" / "testvec";
  const auto cases =
      read_golden(dir / "tokenizer-testvec.inp", dir / "tokenizer-testvec.llama2-spm.out");
  ASSERT_EQ(cases.size(), 46u);
  EXPECT_EQ(cases.front().text, "ied 4 \xC2\xBD months");
  EXPECT_EQ(cases[2].text, "");
  EXPECT_EQ(cases[3].text, " ");
  EXPECT_TRUE(cases.back().text.starts_with("\n \n\n \n\n\n \t \t\t \t\n"));
  EXPECT_TRUE(cases.back().text.ends_with("We'Ve a'lL"));
}

TEST(GoldenVectors, Llama2SentencePiece) {
  const auto tok = load_tokenizer(data_dir() / "tokenizers" / "llama2");
  EXPECT_EQ(tok->kind(), "sentencepiece");
  EXPECT_EQ(tok::sentencepiece_engine(*tok), tok::SentencePieceEngine::kNativeBpe);
  EXPECT_EQ(tok->vocab_size(), 32000);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  expect_golden(*tok, "llama2-spm.out");
}

TEST(GoldenVectors, Llama3Tiktoken) {
  const auto tok = load_tokenizer(data_dir() / "tokenizers" / "llama3");
  EXPECT_EQ(tok->kind(), "tiktoken-bpe");
  EXPECT_EQ(tok->vocab_size(), 128256);
  EXPECT_EQ(tok->bos_id(), 128000);
  EXPECT_EQ(tok->eos_id(), 128001);
  expect_golden(*tok, "llama3-bpe.out");
}

// Each libsentencepiece engine gives the golden ids too (the native one is checked above).
TEST(GoldenVectors, Llama2SentencePieceThroughTheLibrary) {
  const auto model = data_dir() / "tokenizers" / "llama2" / "tokenizer.model";
  for (auto engine :
       {tok::SentencePieceEngine::kLibraryByWords, tok::SentencePieceEngine::kLibraryWholeText}) {
    const auto tok = tok::load_sentencepiece(model, engine);
    ASSERT_EQ(tok::sentencepiece_engine(*tok), engine);
    expect_golden(*tok, "llama2-spm.out");
  }
}

}  // namespace
}  // namespace tpbench
