// Text as tokens arrive, on the Llama 2 SentencePiece tokenizer (byte fallback for characters
// it has no piece for) and on hand-made byte pieces.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.hpp"
#include "serve/incremental_text.hpp"
#include "tests/serve/piece_tokenizer.hpp"

namespace tpbench::serve {
namespace {

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST(IncrementalText, PartialCharacters) {
  EXPECT_FALSE(ends_with_partial_character(""));
  EXPECT_FALSE(ends_with_partial_character("abc"));
  EXPECT_TRUE(ends_with_partial_character("a\xE2"));
  EXPECT_TRUE(ends_with_partial_character("a\xE2\x82"));
  EXPECT_FALSE(ends_with_partial_character("a\xE2\x82\xAC"));
  EXPECT_TRUE(ends_with_partial_character("\xF0\x9F\xA6"));
  EXPECT_FALSE(ends_with_partial_character("\xF0\x9F\xA6\x99"));
  EXPECT_TRUE(ends_with_partial_character("x\xEF\xBF\xBD"));  // U+FFFD from a decoder
}

TEST(IncrementalText, Llama2ByteFallbackEveryDeltaIsWholeCharacters) {
  const auto tok = load_tokenizer(std::string(TPBENCH_DATA_DIR) + "/tokenizers/llama2");
  const std::string text = "Hello 🦙 world, 你好 — naïve café 🤖!\nNew line";
  const std::vector<int32_t> ids = tok->encode(text, false);
  IncrementalText inc(*tok);
  std::string joined;
  int held = 0;
  for (int32_t id : ids) {
    const std::string delta = inc.push(id);
    EXPECT_TRUE(valid_utf8(delta)) << "after id " << id;
    if (delta.empty()) ++held;
    joined += delta;
  }
  joined += inc.finish();
  EXPECT_EQ(joined, tok->decode(ids));
  EXPECT_EQ(joined, text);
  EXPECT_GT(held, 0);  // the emoji went out as byte pieces and were held
}

TEST(IncrementalText, KeepsTheSpaceBeforeEachWord) {
  const auto tok = load_tokenizer(std::string(TPBENCH_DATA_DIR) + "/tokenizers/llama2");
  IncrementalText inc(*tok);
  std::vector<std::string> deltas;
  for (int32_t id : tok->encode("Once upon a time", false)) deltas.push_back(inc.push(id));
  EXPECT_EQ(deltas, (std::vector<std::string>{"Once", " upon", " a", " time"}));
}

TEST(IncrementalText, ThePromptKeepsTheFirstTokensSpace) {
  const auto tok = load_tokenizer(std::string(TPBENCH_DATA_DIR) + "/tokenizers/llama2");
  const std::vector<int32_t> prompt = tok->encode("It was a dark night. Once", true);
  IncrementalText inc(*tok, prompt);
  std::vector<std::string> deltas;
  for (int32_t id : tok->encode("Once upon a time", false)) deltas.push_back(inc.push(id));
  // "Once" is one piece (with its space) after the prompt's "Once".
  EXPECT_EQ(deltas, (std::vector<std::string>{" Once", " upon", " a", " time"}));
  EXPECT_EQ(inc.ids(), tok->encode("Once upon a time", false));
}

TEST(IncrementalText, FinishFlushesAnUnfinishedCharacter) {
  const test::PieceTokenizer tok({"", "", "", "a", "\xE2"});
  IncrementalText inc(tok);
  EXPECT_EQ(inc.push(3), "a");
  EXPECT_EQ(inc.push(4), "");
  EXPECT_EQ(inc.finish(), "\xE2");
  EXPECT_EQ(inc.ids(), (std::vector<int32_t>{3, 4}));
}

TEST(IncrementalText, UndecodableIdsAddNoText) {
  const test::PieceTokenizer tok({"", "", "", "a"});
  IncrementalText inc(tok);
  EXPECT_EQ(inc.push(3), "a");
  EXPECT_EQ(inc.push(99), "");  // PieceTokenizer throws on it
  EXPECT_EQ(inc.push(3), "a");
}

}  // namespace
}  // namespace tpbench::serve
