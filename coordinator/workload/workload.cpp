#include "coordinator/workload/workload.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <span>

#include "common/error.hpp"
#include "common/log.hpp"
#include "coordinator/load/arrival_schedule.hpp"
#include "coordinator/load/azure_trace.hpp"
#include "coordinator/workload/sharegpt_dataset.hpp"
#include "coordinator/workload/sharegpt_sampler.hpp"
#include "coordinator/workload/token_ids_dataset.hpp"
#include "coordinator/workload/vocab_limit.hpp"
#include "tokenizer/tokenizer.hpp"

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

// What sharegpt, random and --trace share: MODEL's tokenizer and the ShareGPT file's text.
struct TextSource {
  std::unique_ptr<Tokenizer> tokenizer;
  std::optional<VocabLimit> vocab;
  ShareGptDataset dataset;
  BatchEncoder encode;
};

TextSource load_text_source(const RunOptions& options, Workload& workload) {
  TextSource source;
  workload.dataset_name = std::string(name_of(options.dataset_name));
  // The tokenizer first: a wrong model directory should fail before a 600 MB parse.
  source.tokenizer = load_tokenizer(options.engine.model_dir);
  workload.tokenizer_kind = source.tokenizer->kind();
  source.vocab = model_vocab_limit(options);

  const Clock::time_point start = Clock::now();
  source.dataset = load_sharegpt(options.dataset_path);
  workload.load_seconds = seconds_since(start);
  workload.dataset_records = source.dataset.records;

  // --skip-tokenize: LMDeploy tokenizes each prompt inside the timed loop unless this flag
  // asks it to pre-tokenize first. tpbench always tokenizes here, before the clock starts, and
  // ships token ids to the engines, so the flag is accepted for command-line compatibility and
  // changes nothing: every tpbench run measures what LMDeploy measures with --skip-tokenize.
  const Tokenizer* tokenizer = source.tokenizer.get();
  source.encode = [tokenizer](const std::vector<std::string_view>& texts, bool add_bos) {
    return encode_parallel(*tokenizer, texts, add_bos, 0);
  };
  return source;
}

// --backend openai with text prompts: ShareGPT's own text, else the tokenizer's decode of the ids.
void add_prompt_texts(const RunOptions& options, const TextSource& source,
                      SampledRequests& sampled) {
  if (!needs_prompt_text(options)) return;
  if (options.dataset_name == DatasetName::kShareGpt)
    copy_prompt_texts(sampled, source.dataset);
  else
    decode_prompt_texts(sampled.requests, *source.tokenizer);
}

void take_sampled(SampledRequests sampled, const TextSource& source, Workload& workload) {
  workload.eligible = sampled.eligible;
  workload.examined = sampled.examined;
  workload.rejected = sampled.rejected;
  workload.requests = std::move(sampled.requests);
  if (source.vocab) {
    check_prompts_in_vocab(workload.requests, *source.vocab, source.tokenizer->kind(),
                           source.tokenizer->vocab_size());
  }
}

Workload from_sharegpt(const RunOptions& options) {
  Workload workload;
  const TextSource source = load_text_source(options, workload);
  const Clock::time_point start = Clock::now();
  SampledRequests sampled;
  if (options.dataset_name == DatasetName::kShareGpt) {
    sampled = sample_sharegpt(source.dataset,
                              {options.num_prompts, options.sharegpt_output_len, options.seed},
                              source.encode);
  } else {
    sampled = sample_random(source.dataset,
                            {options.num_prompts, options.random_input_len,
                             options.random_output_len, options.random_range_ratio, options.seed},
                            source.encode);
  }
  add_prompt_texts(options, source, sampled);
  workload.tokenize_seconds = seconds_since(start);
  take_sampled(std::move(sampled), source, workload);
  return workload;
}

// --trace: the trace's rows (the first -n if given, those before --duration if given) with
// random mode's prompts at the rows' lengths, arriving at the rows' offsets x the time scale.
Workload from_trace(const RunOptions& options) {
  const AzureTrace trace = read_azure_trace(options.trace_path);
  if (trace.raised_to_one > 0) {
    log_warn("--trace " + trace.path + ": " + std::to_string(trace.raised_to_one) +
             " rows with 0 ContextTokens or GeneratedTokens run with 1");
  }
  const auto scheduled_ns = [&](const TraceRow& row) {
    return std::llround(static_cast<double>(row.offset_ns) * options.trace_time_scale);
  };
  size_t count = trace.rows.size();
  if (options.num_prompts_given) count = std::min(count, static_cast<size_t>(options.num_prompts));
  if (options.duration_s) {
    const int64_t end_ns = seconds_to_ns(*options.duration_s);
    size_t within = 0;
    while (within < count && scheduled_ns(trace.rows[within]) < end_ns) ++within;
    count = within;
  }
  if (count == 0) {
    throw InputError("--duration " + std::to_string(*options.duration_s) + ": no row of --trace " +
                     trace.path + " arrives before it");
  }
  std::vector<int32_t> input_lens(count), output_lens(count);
  for (size_t i = 0; i < count; ++i) {
    input_lens[i] = trace.rows[i].context_tokens;
    output_lens[i] = trace.rows[i].generated_tokens;
  }

  Workload workload;
  const TextSource source = load_text_source(options, workload);
  workload.trace_path = trace.path;
  workload.trace_rows = trace.rows.size();
  const Clock::time_point start = Clock::now();
  SampledRequests sampled = sample_random_with_lengths(source.dataset, options.seed, input_lens,
                                                       output_lens, source.encode);
  if (needs_prompt_text(options)) decode_prompt_texts(sampled.requests, *source.tokenizer);
  workload.tokenize_seconds = seconds_since(start);
  take_sampled(std::move(sampled), source, workload);
  for (size_t i = 0; i < count; ++i)
    workload.requests[i].scheduled_ns = scheduled_ns(trace.rows[i]);
  return workload;
}

}  // namespace

Workload build_workload(const RunOptions& options) {
  if (!options.trace_path.empty()) return from_trace(options);
  Workload workload;
  switch (options.dataset_name) {
    case DatasetName::kTokenIds:
      workload = from_token_ids(options);
      break;
    case DatasetName::kShareGpt:
    case DatasetName::kRandom:
      workload = from_sharegpt(options);
      break;
  }
  if (is_open_loop(options)) schedule_arrivals(workload, options);
  return workload;
}

}  // namespace tpbench
