#pragma once
// Real text for the tokenizer tests and bench: the golden test vectors and ShareGPT turns.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tpbench::testing {

struct GoldenCase {
  std::string text;
  std::vector<int32_t> ids;  // no BOS
};

// tokenizer-testvec.inp holds the inputs, each followed by "\n__ggml_vocab_test__\n";
// `out_file` one line of space-separated ids per input.
std::vector<GoldenCase> read_golden(const std::filesystem::path& inp_file,
                                    const std::filesystem::path& out_file);

// Every "value" of every conversation turn in a ShareGPT JSON file (both roles).
std::vector<std::string> read_sharegpt_texts(const std::filesystem::path& file);

std::filesystem::path data_dir();         // the project's data/
std::filesystem::path shared_data_dir();  // ../shared/data (may be absent)

}  // namespace tpbench::testing
