#pragma once
// Token ids at or above the model's vocab_size crash the replica that gets them, so the
// workload is checked against MODEL/config.json before any engine starts.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/run_options.hpp"
#include "common/workload.hpp"

namespace tpbench {

struct VocabLimit {
  int32_t vocab_size = 0;   // every token id must be below it
  std::string config_path;  // MODEL/config.json, for messages
};

// MODEL/config.json's vocab_size, whatever the backend (sim included); nullopt when MODEL has
// no config.json or it states no vocab_size. InputError when the file is malformed.
std::optional<VocabLimit> model_vocab_limit(const RunOptions& options);

// sharegpt / random prompts: throws InputError naming the tokenizer, its size, vocab_size and
// the first request whose prompt holds an id >= vocab_size.
void check_prompts_in_vocab(const std::vector<WorkloadRequest>& requests, const VocabLimit& limit,
                            const std::string& tokenizer_kind, int32_t tokenizer_size);

}  // namespace tpbench
