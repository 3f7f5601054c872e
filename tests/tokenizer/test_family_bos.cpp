// BOS per family, as HF's tokenizer.encode adds it: Qwen2's byte-level tokenizer.json has a
// ByteLevel post-processor and "bos_token": null in tokenizer_config.json, so no BOS is added
// and bos_id() is -1; its chat markers are added tokens, one id each. (InternLM/InternLM2's
// SentencePiece BOS: TrainedSentencePiece.AddedTokensFromTokenizerConfigAreOneIdEach.)
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tokenizer/byte_level.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tests/tokenizer/hf_json_fixtures.hpp"

namespace tpbench {
namespace {

// GPT-2's printable spelling of byte b (the table byte-level vocabularies use).
std::string spelled_byte(int b) {
  static const auto printable = [](int x) {
    return (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255);
  };
  int shifted = 0;
  for (int x = 0; x < b; ++x)
    if (!printable(x)) ++shifted;
  std::string out;
  tok::append_utf8(out, static_cast<char32_t>(printable(b) ? b : 256 + shifted));
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A Qwen2-shaped tokenizer.json over the 256 bytes, one merge ("Ġ" "h" -> "Ġh"), and Qwen2's
// three added tokens after the vocabulary.
void write_qwen2_like(const std::filesystem::path& dir) {
  std::ofstream out(dir / "tokenizer.json");
  out << R"({"version": "1.0", "truncation": null, "padding": null, "added_tokens": [)"
      << R"({"id": 257, "content": "<|endoftext|>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false},)"
      << R"({"id": 258, "content": "<|im_start|>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false},)"
      << R"({"id": 259, "content": "<|im_end|>", "special": true, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false}],)"
      << R"("normalizer": {"type": "NFC"}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [)"
      << R"({"type": "Split", "pattern": {"Regex": )"
      << json_string(
             R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)")
      << R"(}, "behavior": "Isolated", "invert": false},)"
      << R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},)"
      << R"("post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},)"
      << R"("decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},)"
      << R"("model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "vocab": {)";
  for (int b = 0; b < 256; ++b) out << json_string(spelled_byte(b)) << ": " << b << ", ";
  out << json_string(spelled_byte(' ') + "h") << R"(: 256}, "merges": [)"
      << json_string(spelled_byte(' ') + " h") << "]}}";
  std::ofstream(dir / "tokenizer_config.json")
      << R"({"bos_token": null, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"})";
}

TEST(FamilyBos, Qwen2AddsNoBos) {
  const auto dir = testing::fixture_dir("qwen2-like");
  write_qwen2_like(dir);
  const auto qwen = load_tokenizer(dir);
  EXPECT_EQ(qwen->bos_id(), -1);
  const std::vector<int32_t> hi{'h', 'i', 256, 'i'};  // "hi hi": "Ġh" is one piece
  EXPECT_EQ(qwen->encode("hi hi", false), hi);
  EXPECT_EQ(qwen->encode("hi hi", true), hi);
  EXPECT_EQ(qwen->encode("<|im_start|>hi<|im_end|>", true),
            (std::vector<int32_t>{258, 'h', 'i', 259}));
}

}  // namespace
}  // namespace tpbench
