#pragma once
// The tokenizers the tests exercise, loaded once per test process.
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "tests/tokenizer/hf_json_fixtures.hpp"

namespace tpbench::testing {

const Tokenizer& llama2_sentencepiece();             // data/tokenizers/llama2/tokenizer.model
const Tokenizer& llama3_tiktoken();                  // data/tokenizers/llama3/tokenizer.model
const Tokenizer& llama3_hf_json();                   // fixture from the Llama 3 ranks
const Tokenizer& llama2_hf_json(Llama2Style style);  // fixture from the Llama 2 vocabulary
std::vector<const Tokenizer*> all_tokenizers();

// ShareGPT turns shipped in data/sharegpt (600 texts, ~0.5 MB).
const std::vector<std::string>& sharegpt_texts();

}  // namespace tpbench::testing
