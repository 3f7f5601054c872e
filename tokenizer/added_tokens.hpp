#pragma once
// The added tokens a slow (SentencePiece) HF tokenizer lists in tokenizer_config.json's
// "added_tokens_decoder" (InternLM2's "<|im_start|>", "<|im_end|>", "<|action_start|>", ...).
// HF splits them out of the text before SentencePiece sees it, so each is one id.
#include <filesystem>
#include <vector>

#include "tokenizer/special_splitter.hpp"

namespace tpbench::tok {

// The entries of `tokenizer_config`'s added_tokens_decoder ({"<id>": {"content": ..., "lstrip":
// ..., "rstrip": ...}}); empty when the file or the key is absent. Throws InputError naming the
// file on malformed JSON or an entry without a numeric id and a string content.
std::vector<SpecialToken> read_added_tokens(const std::filesystem::path& tokenizer_config);

}  // namespace tpbench::tok
