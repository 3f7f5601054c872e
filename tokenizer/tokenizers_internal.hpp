#pragma once
// Constructors of the concrete tokenizers; load_tokenizer picks one by the files present.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace tpbench::tok {

// How a SentencePiece tokenizer.model encodes. Each falls back to the next when the model
// needs it: kNativeBpe (the project's BPE, BPE models only) -> kLibraryByWords
// (libsentencepiece word by word) -> kLibraryWholeText (libsentencepiece on whole texts).
enum class SentencePieceEngine { kNativeBpe, kLibraryByWords, kLibraryWholeText };
const char* to_string(SentencePieceEngine engine);

std::unique_ptr<Tokenizer> load_sentencepiece(
    const std::filesystem::path& model_file,
    SentencePieceEngine preferred = SentencePieceEngine::kNativeBpe);
// The engine a tokenizer from load_sentencepiece encodes with; nullopt for other tokenizers.
std::optional<SentencePieceEngine> sentencepiece_engine(const Tokenizer& tok);
std::unique_ptr<Tokenizer> load_tiktoken(const std::filesystem::path& model_file);
// Llama 3's 256 special tokens (ids 128000..128255), as Meta's tokenizer.py names them.
std::vector<std::string> llama3_special_tokens();
// tokenizer_config.json beside it (when present) may set BOS/EOS and add_bos_token.
std::unique_ptr<Tokenizer> load_hf_json(const std::filesystem::path& tokenizer_json);

}  // namespace tpbench::tok
