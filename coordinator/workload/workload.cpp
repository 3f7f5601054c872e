#include "coordinator/workload/workload.hpp"

#include <chrono>
#include <memory>

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
