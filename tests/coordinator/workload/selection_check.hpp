#pragma once
// The LMDeploy-selection comparison shared by the word-tokenizer and Llama 2 tests.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace tpbench::testing {

struct Selection {
  int64_t seed;
  int num_prompts;
  std::optional<int> fixed_output_len;
};

// Writes each eligible record's token lengths, asks CPython which records LMDeploy would pick,
// and compares with the C++ sampler: records, lengths, order, examined count, prompt ids.
void expect_lmdeploy_selection(const std::string& dataset_path, const Tokenizer& tokenizer,
                               const std::vector<Selection>& selections);

}  // namespace tpbench::testing
