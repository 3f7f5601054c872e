#include "tests/tokenizer/tokenizers_under_test.hpp"

#include <memory>

#include "tests/tokenizer/test_data.hpp"

namespace tpbench::testing {

namespace {
std::filesystem::path tokenizers() {
  return data_dir() / "tokenizers";
}

std::unique_ptr<Tokenizer> build_llama2_hf_json(Llama2Style style) {
  const auto dir =
      fixture_dir(style == Llama2Style::kMetaspace ? "llama2-metaspace" : "llama2-legacy");
  write_llama2_tokenizer_json(tokenizers() / "llama2" / "llama2-tokenizer.llama2c.bin", dir, style);
  return load_tokenizer(dir);
}
}  // namespace

const Tokenizer& llama2_sentencepiece() {
  static const auto tok = load_tokenizer(tokenizers() / "llama2");
  return *tok;
}

const Tokenizer& llama3_tiktoken() {
  static const auto tok = load_tokenizer(tokenizers() / "llama3");
  return *tok;
}

const Tokenizer& llama3_hf_json() {
  static const auto tok = [] {
    const auto dir = fixture_dir("llama3");
    write_llama3_tokenizer_json(tokenizers() / "llama3" / "tokenizer.model", dir);
    return load_tokenizer(dir);
  }();
  return *tok;
}

const Tokenizer& llama2_hf_json(Llama2Style style) {
  if (style == Llama2Style::kMetaspace) {
    static const auto tok = build_llama2_hf_json(style);
    return *tok;
  }
  static const auto tok = build_llama2_hf_json(style);
  return *tok;
}

std::vector<const Tokenizer*> all_tokenizers() {
  return {&llama2_sentencepiece(), &llama3_tiktoken(), &llama3_hf_json(),
          &llama2_hf_json(Llama2Style::kLegacyNormalizer),
          &llama2_hf_json(Llama2Style::kMetaspace)};
}

const std::vector<std::string>& sharegpt_texts() {
  static const auto texts = [] {
    std::vector<std::string> all;
    for (const char* name :
         {"sharegpt-v3-500-first-prompts.json", "sharegpt-v3-50conv-1kprompt.json"}) {
      auto more = read_sharegpt_texts(data_dir() / "sharegpt" / name);
      all.insert(all.end(), more.begin(), more.end());
    }
    return all;
  }();
  return texts;
}

}  // namespace tpbench::testing
