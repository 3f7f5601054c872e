#pragma once
// Builds HF tokenizer.json files from Meta's real vocabularies the way transformers'
// converters do, so the tokenizer.json path can be checked against SentencePiece / tiktoken
// on the same vocabulary. Written at test time into a folder under the build tree.
#include <filesystem>

namespace tpbench::testing {

// Llama 3 (TikTokenConverter): byte-level vocab spelled with GPT-2's byte table, merges
// derived from the ranks, Split(Llama 3 regex) + ByteLevel, 256 special added tokens.
void write_llama3_tokenizer_json(const std::filesystem::path& tiktoken_model,
                                 const std::filesystem::path& out_dir);

enum class Llama2Style {
  kLegacyNormalizer,  // Llama 2's tokenizer.json: Prepend("▁") + Replace(" ", "▁") normalizer
  kMetaspace,         // Mistral's: Metaspace(prepend_scheme "first") pre-tokenizer
};

// Llama 2 (LlamaConverter) from llama2.c's flat vocabulary: SentencePiece-style BPE with
// byte_fallback, merges from each piece's splits into two pieces, ordered by piece score.
void write_llama2_tokenizer_json(const std::filesystem::path& llama2c_bin,
                                 const std::filesystem::path& out_dir, Llama2Style style);

// A fresh folder under the build tree for this process, removed when the process exits.
std::filesystem::path fixture_dir(const std::string& name);

}  // namespace tpbench::testing
