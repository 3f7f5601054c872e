#pragma once
// `--dataset-name token-ids`: JSON lines {"input_ids": [...], "output_len": n} (TensorRT-LLM's
// prepared-dataset shape), run as given: no tokenizer, no filters.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/workload.hpp"
#include "coordinator/workload/vocab_limit.hpp"

namespace tpbench {

struct TokenIdsDataset {
  std::vector<WorkloadRequest> requests;  // file order; requests[i].id == i
  size_t lines = 0;                       // non-blank lines read (reading stops at num_prompts)
};

// Reads the first `num_prompts` non-blank lines. "output_tokens" (what TensorRT-LLM's
// prepare_dataset.py writes) is accepted when "output_len" is absent; other keys are ignored.
// Throws InputError naming the file and line number for a bad line; warns when the file has
// fewer lines than asked for; InputError when it has none. With a vocabulary limit, an id at or
// above vocab_size is a bad line too.
TokenIdsDataset load_token_ids(const std::string& path, int num_prompts,
                               const std::optional<VocabLimit>& vocab = std::nullopt);

}  // namespace tpbench
