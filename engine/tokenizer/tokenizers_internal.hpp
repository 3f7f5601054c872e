#pragma once
// Constructors of the concrete tokenizers; load_tokenizer picks one by the files present.
#include <filesystem>
#include <memory>

#include "engine/tokenizer/tokenizer.hpp"

namespace tpbench::tok {

// by_words = false sends whole texts to libsentencepiece (tests compare the two ways).
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& model_file,
                                              bool by_words = true);
bool sentencepiece_encodes_by_words(const Tokenizer& tok);
std::unique_ptr<Tokenizer> load_tiktoken(const std::filesystem::path& model_file);
// tokenizer_config.json beside it (when present) may set BOS/EOS and add_bos_token.
std::unique_ptr<Tokenizer> load_hf_json(const std::filesystem::path& tokenizer_json);

}  // namespace tpbench::tok
