#include "coordinator/workload/workload.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>

#include "common/error.hpp"
#include "coordinator/workload/sharegpt_dataset.hpp"
#include "coordinator/workload/sharegpt_sampler.hpp"
#include "coordinator/workload/token_ids_dataset.hpp"
#include "coordinator/workload/vocab_limit.hpp"
#include "engine/tokenizer/tokenizer.hpp"

namespace tpbench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool needs_prompt_text(const RunOptions& options) {
  return options.engine.backend == Backend::kOpenAi &&
         options.engine.openai.prompt_format == PromptFormat::kText;
}

// --backend openai sends text: the tokenizer's decode of each prompt's ids (without the BOS
// the sampler put first), which the server tokenizes again.
void decode_prompt_texts(std::vector<WorkloadRequest>& requests, const Tokenizer& tokenizer) {
  for (WorkloadRequest& r : requests) {
    std::span<const int32_t> ids(r.prompt_ids);
    if (!ids.empty() && ids.front() == tokenizer.bos_id()) ids = ids.subspan(1);
    r.prompt_text = tokenizer.decode(ids);
  }
}

// ShareGPT mode sends each conversation's own text, the text LMDeploy tokenized.
void copy_prompt_texts(SampledRequests& sampled, const ShareGptDataset& dataset) {
  const auto& conversations = dataset.conversations;  // in file order: records ascend
  for (size_t i = 0; i < sampled.requests.size(); ++i) {
    const uint32_t record = sampled.source_records[i];
    auto it =
        std::lower_bound(conversations.begin(), conversations.end(), record,
                         [](const ShareGptConversation& c, uint32_t r) { return c.record < r; });
    TPBENCH_CHECK(it != conversations.end() && it->record == record,
                  "workload: a sampled request's ShareGPT record is missing");
    sampled.requests[i].prompt_text = std::string(it->prompt);
  }
}

Workload from_token_ids(const RunOptions& options) {
  Workload workload;
  workload.dataset_name = std::string(name_of(options.dataset_name));
  const Clock::time_point start = Clock::now();
  TokenIdsDataset dataset =
      load_token_ids(options.dataset_path, options.num_prompts, model_vocab_limit(options));
  workload.load_seconds = seconds_since(start);
  workload.dataset_records = dataset.lines;
  workload.eligible = dataset.lines;
  workload.examined = dataset.lines;
  workload.requests = std::move(dataset.requests);
  if (needs_prompt_text(options)) {
    const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(options.engine.model_dir);
    workload.tokenizer_kind = tokenizer->kind();
    decode_prompt_texts(workload.requests, *tokenizer);
  }
  return workload;
}

Workload from_sharegpt(const RunOptions& options) {
  Workload workload;
  workload.dataset_name = std::string(name_of(options.dataset_name));
  // The tokenizer first: a wrong model directory should fail before a 600 MB parse.
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(options.engine.model_dir);
  workload.tokenizer_kind = tokenizer->kind();
  const std::optional<VocabLimit> vocab = model_vocab_limit(options);

  Clock::time_point start = Clock::now();
  const ShareGptDataset dataset = load_sharegpt(options.dataset_path);
  workload.load_seconds = seconds_since(start);
  workload.dataset_records = dataset.records;

  // --skip-tokenize: LMDeploy tokenizes each prompt inside the timed loop unless this flag
  // asks it to pre-tokenize first. tpbench always tokenizes here, before the clock starts, and
  // ships token ids to the engines, so the flag is accepted for command-line compatibility and
  // changes nothing: every tpbench run measures what LMDeploy measures with --skip-tokenize.
  const BatchEncoder encode = [&tokenizer](const std::vector<std::string_view>& texts,
                                           bool add_bos) {
    return encode_parallel(*tokenizer, texts, add_bos, 0);
  };
  start = Clock::now();
  SampledRequests sampled;
  if (options.dataset_name == DatasetName::kShareGpt) {
    sampled = sample_sharegpt(
        dataset, {options.num_prompts, options.sharegpt_output_len, options.seed}, encode);
  } else {
    sampled = sample_random(dataset,
                            {options.num_prompts, options.random_input_len,
                             options.random_output_len, options.random_range_ratio, options.seed},
                            encode);
  }
  if (needs_prompt_text(options)) {
    if (options.dataset_name == DatasetName::kShareGpt)
      copy_prompt_texts(sampled, dataset);
    else
      decode_prompt_texts(sampled.requests, *tokenizer);
  }
  workload.tokenize_seconds = seconds_since(start);
  workload.eligible = sampled.eligible;
  workload.examined = sampled.examined;
  workload.rejected = sampled.rejected;
  workload.requests = std::move(sampled.requests);
  if (vocab) {
    check_prompts_in_vocab(workload.requests, *vocab, tokenizer->kind(), tokenizer->vocab_size());
  }
  return workload;
}

}  // namespace

Workload build_workload(const RunOptions& options) {
  switch (options.dataset_name) {
    case DatasetName::kTokenIds:
      return from_token_ids(options);
    case DatasetName::kShareGpt:
    case DatasetName::kRandom:
      return from_sharegpt(options);
  }
  throw InternalError("--dataset-name: no such mode");
}

}  // namespace tpbench
