#include "coordinator/workload/vocab_limit.hpp"

#include "common/error.hpp"
#include "engine/engine.hpp"

namespace tpbench {

std::optional<VocabLimit> model_vocab_limit(const RunOptions& options) {
  if (options.engine.model_dir.empty()) return std::nullopt;
  const std::optional<int32_t> vocab_size = read_vocab_size(options.engine.model_dir);
  if (!vocab_size) return std::nullopt;
  return VocabLimit{*vocab_size, options.engine.model_dir + "/config.json"};
}

void check_prompts_in_vocab(const std::vector<WorkloadRequest>& requests, const VocabLimit& limit,
                            const std::string& tokenizer_kind, int32_t tokenizer_size) {
  for (const WorkloadRequest& request : requests) {
    for (size_t i = 0; i < request.prompt_ids.size(); ++i) {
      const int32_t id = request.prompt_ids[i];
      if (id < limit.vocab_size) continue;
      throw InputError("the tokenizer (" + tokenizer_kind + ", " + std::to_string(tokenizer_size) +
                       " ids) is larger than vocab_size " + std::to_string(limit.vocab_size) +
                       " of " + limit.config_path + ": request " + std::to_string(request.id) +
                       "'s prompt holds token id " + std::to_string(id) + " at position " +
                       std::to_string(i));
    }
  }
}

}  // namespace tpbench
