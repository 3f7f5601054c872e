// The tokenizer.json path against SentencePiece / tiktoken on the same real vocabularies.
#include <gtest/gtest.h>

#include "tests/tokenizer/test_data.hpp"
#include "tests/tokenizer/tokenizers_under_test.hpp"

namespace tpbench {
namespace {

using namespace tpbench::testing;

std::vector<GoldenCase> golden(const std::string& suffix) {
  const auto dir = data_dir() / "tokenizers" / "testvec";
  return read_golden(dir / "tokenizer-testvec.inp", dir / ("tokenizer-testvec." + suffix));
}

void expect_same_ids(const Tokenizer& a, const Tokenizer& b,
                     const std::vector<std::string>& texts) {
  for (const std::string& text : texts)
    ASSERT_EQ(a.encode(text, true), b.encode(text, true)) << "text: " << text.substr(0, 200);
}

// Real text with its spaces removed: words of thousands of characters, which take the
// heap-based merge path rather than the short-word one.
std::vector<std::string> long_words() {
  std::vector<std::string> out;
  for (size_t i = 0; i < sharegpt_texts().size(); i += 37) {
    std::string w;
    for (char c : sharegpt_texts()[i])
      if (c != ' ' && c != '\n') w += c;
    out.push_back(w);
  }
  out.push_back(std::string(3000, ' ') + "x" + std::string(1000, '\n'));
  out.push_back(std::string(2000, '-') + std::string(500, '9'));
  return out;
}

std::vector<std::string> perf_texts_or_skip() {
  const auto file = shared_data_dir() / "sharegpt-perf-1440.json";
  if (!std::filesystem::exists(file)) return {};
  return read_sharegpt_texts(file);
}

TEST(HfJsonByteLevel, Llama3GoldenVectors) {
  const Tokenizer& tok = llama3_hf_json();
  EXPECT_EQ(tok.kind(), "hf-bpe-bytelevel");
  EXPECT_EQ(tok.vocab_size(), 128256);
  EXPECT_EQ(tok.bos_id(), 128000);
  EXPECT_EQ(tok.eos_id(), 128001);
  const auto cases = golden("llama3-bpe.out");
  ASSERT_EQ(cases.size(), 46u);
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(tok.encode(cases[i].text, false), cases[i].ids) << "case " << i;
}

TEST(HfJsonByteLevel, Llama3SameIdsAsTiktokenOnShareGpt) {
  ASSERT_GE(sharegpt_texts().size(), 600u);
  expect_same_ids(llama3_hf_json(), llama3_tiktoken(), sharegpt_texts());
  expect_same_ids(llama3_hf_json(), llama3_tiktoken(), long_words());
}

TEST(HfJsonByteLevel, Llama3SameIdsAsTiktokenOnSharedPerfSet) {
  const auto texts = perf_texts_or_skip();
  if (texts.empty()) GTEST_SKIP() << "shared data sharegpt-perf-1440.json not present";
  expect_same_ids(llama3_hf_json(), llama3_tiktoken(), texts);
}

TEST(HfJsonByteLevel, SpecialTokenTextBecomesSpecialToken) {
  for (const Tokenizer* tok : {&llama3_hf_json(), &llama3_tiktoken()}) {
    const auto ids = tok->encode("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", true);
    ASSERT_GE(ids.size(), 5u) << tok->kind();
    EXPECT_EQ(ids[0], 128000);
    EXPECT_EQ(ids[1], 128006);
    EXPECT_EQ(ids.back(), 128009);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 128007), 1);
  }
}

TEST(HfJsonSentencePiece, Llama2GoldenVectors) {
  const Tokenizer& tok = llama2_hf_json(Llama2Style::kLegacyNormalizer);
  EXPECT_EQ(tok.kind(), "hf-bpe-sentencepiece");
  EXPECT_EQ(tok.vocab_size(), 32000);
  EXPECT_EQ(tok.bos_id(), 1);
  EXPECT_EQ(tok.eos_id(), 2);
  const auto cases = golden("llama2-spm.out");
  ASSERT_EQ(cases.size(), 46u);
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(tok.encode(cases[i].text, false), cases[i].ids) << "case " << i;
}

TEST(HfJsonSentencePiece, Llama2SameIdsAsSentencePieceOnShareGpt) {
  ASSERT_GE(sharegpt_texts().size(), 600u);
  expect_same_ids(llama2_hf_json(Llama2Style::kLegacyNormalizer), llama2_sentencepiece(),
                  sharegpt_texts());
  expect_same_ids(llama2_hf_json(Llama2Style::kLegacyNormalizer), llama2_sentencepiece(),
                  long_words());
}

TEST(HfJsonSentencePiece, Llama2SameIdsAsSentencePieceOnSharedPerfSet) {
  const auto texts = perf_texts_or_skip();
  if (texts.empty()) GTEST_SKIP() << "shared data sharegpt-perf-1440.json not present";
  expect_same_ids(llama2_hf_json(Llama2Style::kLegacyNormalizer), llama2_sentencepiece(), texts);
}

TEST(HfJsonSentencePiece, SpecialTokenTextBecomesSpecialToken) {
  for (const Tokenizer* tok :
       {&llama2_hf_json(Llama2Style::kLegacyNormalizer), &llama2_sentencepiece()}) {
    const auto ids = tok->encode("Hello</s><s>world", false);
    // Each stretch between specials gets its own "▁" prefix, as HF's Llama 2 tokenizer does.
    const std::vector<int32_t> expected = {15043, 2, 1, 3186};  // ▁Hello </s> <s> ▁world
    EXPECT_EQ(ids, expected) << tok->kind();
  }
}

// Mistral-style Metaspace(prepend_scheme "first"): "▁" only at the very start of the text
// and not doubled before a leading space; otherwise the same as SentencePiece.
TEST(HfJsonSentencePiece, MetaspacePreTokenizer) {
  const Tokenizer& meta = llama2_hf_json(Llama2Style::kMetaspace);
  const Tokenizer& sp = llama2_sentencepiece();
  size_t compared = 0;
  for (const std::string& text : sharegpt_texts()) {
    if (text.empty() || text[0] == ' ' || text.find("<s>") != std::string::npos ||
        text.find("</s>") != std::string::npos || text.find("<unk>") != std::string::npos)
      continue;
    ASSERT_EQ(meta.encode(text, true), sp.encode(text, true)) << text.substr(0, 200);
    ++compared;
  }
  EXPECT_GT(compared, 500u);
  EXPECT_EQ(meta.encode(" Hello", false), sp.encode("Hello", false));
  const auto after_bos = meta.encode("<s>Hello", false);
  ASSERT_GE(after_bos.size(), 2u);
  EXPECT_EQ(after_bos[0], 1);
  EXPECT_NE(after_bos[1], 15043);  // no "▁Hello": the stretch does not start the text
  EXPECT_EQ(meta.decode(meta.encode("Hello world", true)), "Hello world");
}

}  // namespace
}  // namespace tpbench
