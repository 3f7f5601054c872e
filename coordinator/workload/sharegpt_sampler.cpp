#include "coordinator/workload/sharegpt_sampler.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "common/error.hpp"
#include "common/log.hpp"
#include "coordinator/workload/python_random.hpp"

namespace tpbench {
namespace {

// LMDeploy's length filters (sample_sharegpt_requests).
constexpr size_t kMinTokens = 4;
constexpr size_t kMaxPromptTokens = 1024;
constexpr size_t kMaxTotalTokens = 2048;

// Candidates encoded per parallel batch: what is still wanted plus room for rejections.
size_t batch_size(size_t still_wanted) {
  return std::clamp<size_t>(still_wanted + still_wanted / 4 + 32, 64, 4096);
}

std::vector<uint32_t> shuffled_indices(size_t n, PythonRandom& rng) {
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0U);
  rng.shuffle(order);
  return order;
}

void warn_if_short(const std::string& path, const SampledRequests& out, int wanted) {
  if (out.requests.size() < static_cast<size_t>(wanted)) {
    log_warn("dataset " + path + ": only " + std::to_string(out.requests.size()) +
             " usable prompts for --num-prompts " + std::to_string(wanted) + "; running with " +
             std::to_string(out.requests.size()));
  }
}

// Says which rule dropped the candidates, with counts, when none is left.
void check_sharegpt_count(const ShareGptDataset& dataset, const SampledRequests& out, int wanted) {
  if (out.requests.empty()) {
    const std::string path = dataset.path;
    const size_t one_turn = dataset.records - dataset.conversations.size();
    if (dataset.conversations.empty()) {
      throw InputError("dataset " + path + ": no request: all " + std::to_string(dataset.records) +
                       " records have fewer than 2 turns (LMDeploy's rule: turn 0 is the "
                       "prompt, turn 1 the completion)");
    }
    throw InputError("dataset " + path + ": no request survives the filters: " +
                     std::to_string(dataset.records) + " records, " + std::to_string(one_turn) +
                     " with fewer than 2 turns; of the " + std::to_string(out.examined) +
                     " examined, prompt < 4 tokens: " + std::to_string(out.prompt_too_short) +
                     ", output < 4: " + std::to_string(out.output_too_short) +
                     ", prompt > 1024: " + std::to_string(out.prompt_too_long) +
                     ", prompt + output > 2048: " + std::to_string(out.total_too_long));
  }
  warn_if_short(dataset.path, out, wanted);
}

void check_positive(int value, const char* flag) {
  if (value <= 0)
    throw InputError(std::string(flag) + " " + std::to_string(value) + ": must be > 0");
}

}  // namespace

SampledRequests sample_sharegpt(const ShareGptDataset& dataset, const ShareGptSampling& sampling,
                                const BatchEncoder& encode) {
  check_positive(sampling.num_prompts, "--num-prompts");
  const std::optional<int> fixed = sampling.fixed_output_len;
  if (fixed && *fixed < static_cast<int>(kMinTokens)) {
    throw InputError("--sharegpt-output-len " + std::to_string(*fixed) +
                     ": must be >= 4 (LMDeploy: output_len too small)");
  }
  SampledRequests out;
  const auto& conversations = dataset.conversations;
  out.eligible = conversations.size();
  PythonRandom rng(sampling.seed);
  const std::vector<uint32_t> order = shuffled_indices(conversations.size(), rng);

  const size_t wanted = static_cast<size_t>(sampling.num_prompts);
  size_t next = 0;
  std::vector<std::string_view> prompts, completions;
  while (out.requests.size() < wanted && next < order.size()) {
    const size_t count = std::min(order.size() - next, batch_size(wanted - out.requests.size()));
    prompts.clear();
    completions.clear();
    for (size_t k = 0; k < count; ++k) {
      const ShareGptConversation& c = conversations[order[next + k]];
      prompts.push_back(c.prompt);
      completions.push_back(c.completion);
    }
    std::vector<std::vector<int32_t>> prompt_ids = encode(prompts, true);
    // With a fixed output length LMDeploy still encodes the completion, but only its length
    // would be used, and that length is then ignored: skip the work.
    std::vector<std::vector<int32_t>> completion_ids;
    if (!fixed) completion_ids = encode(completions, true);

    for (size_t k = 0; k < count && out.requests.size() < wanted; ++k) {
      ++out.examined;
      const size_t prompt_len = prompt_ids[k].size();
      const size_t output_len = fixed ? static_cast<size_t>(*fixed) : completion_ids[k].size();
      size_t* rule = prompt_len < kMinTokens                                 ? &out.prompt_too_short
                     : output_len < kMinTokens                               ? &out.output_too_short
                     : prompt_len > kMaxPromptTokens                         ? &out.prompt_too_long
                     : (!fixed && prompt_len + output_len > kMaxTotalTokens) ? &out.total_too_long
                                                                             : nullptr;
      if (rule) {
        ++*rule;
        ++out.rejected;
        continue;
      }
      WorkloadRequest request;
      request.id = out.requests.size();
      request.prompt_ids = std::move(prompt_ids[k]);
      request.prompt_len = static_cast<int32_t>(prompt_len);
      request.output_len = static_cast<int32_t>(output_len);
      out.requests.push_back(std::move(request));
      out.source_records.push_back(conversations[order[next + k]].record);
    }
    next += count;
  }
  check_sharegpt_count(dataset, out, sampling.num_prompts);
  return out;
}

namespace {

// Random mode's prompt pool: conversations with >= 2 turns and a non-empty prompt.
std::vector<const ShareGptConversation*> random_pool(const ShareGptDataset& dataset) {
  std::vector<const ShareGptConversation*> pool;
  for (const ShareGptConversation& c : dataset.conversations) {
    if (!c.prompt.empty()) pool.push_back(&c);
  }
  if (pool.empty()) {
    throw InputError("dataset " + dataset.path +
                     ": no conversation with >= 2 turns and a non-empty prompt for "
                     "--dataset-name random");
  }
  return pool;
}

// Request i: the ids (with BOS) of the pool's order[i]-th prompt, repeated and cut to
// input_lens[i]; output_lens[i] tokens to generate.
SampledRequests prompts_of_lengths(const ShareGptDataset& dataset,
                                   const std::vector<const ShareGptConversation*>& pool,
                                   const std::vector<uint32_t>& order,
                                   const std::vector<int32_t>& input_lens,
                                   const std::vector<int32_t>& output_lens,
                                   const BatchEncoder& encode) {
  SampledRequests out;
  out.eligible = pool.size();
  const size_t n = input_lens.size();
  // LMDeploy indexes dataset[i] for i < num_prompts and fails past the end; we wrap around.
  if (n > pool.size()) {
    log_warn("dataset " + dataset.path + ": " + std::to_string(n) + " requests > " +
             std::to_string(pool.size()) + " usable prompts; reusing prompts in shuffled order");
  }
  const size_t distinct = std::min(n, pool.size());
  std::vector<std::string_view> texts;
  texts.reserve(distinct);
  for (size_t i = 0; i < distinct; ++i) texts.push_back(pool[order[i]]->prompt);
  const std::vector<std::vector<int32_t>> ids = encode(texts, true);
  out.examined = distinct;

  out.requests.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::vector<int32_t>& source = ids[i % distinct];
    if (source.empty()) {
      throw InputError("dataset " + dataset.path + ": record " +
                       std::to_string(pool[order[i % distinct]]->record) +
                       ": prompt encodes to no tokens");
    }
    // LMDeploy: prompt_token_ids[:len], or (prompt_token_ids * ceil(len / prompt_len))[:len].
    // It then decodes those ids to text and the engine re-encodes it, which changes the count;
    // we feed the ids themselves, so the engine sees exactly input_len tokens (BOS included at
    // the front and wherever a repeat starts, as in LMDeploy's id list).
    WorkloadRequest request;
    request.id = i;
    request.prompt_ids.resize(static_cast<size_t>(input_lens[i]));
    for (size_t t = 0; t < request.prompt_ids.size(); ++t) {
      request.prompt_ids[t] = source[t % source.size()];
    }
    request.prompt_len = input_lens[i];
    request.output_len = output_lens[i];
    out.requests.push_back(std::move(request));
    out.source_records.push_back(pool[order[i % distinct]]->record);
  }
  return out;
}

}  // namespace

SampledRequests sample_random(const ShareGptDataset& dataset, const RandomSampling& sampling,
                              const BatchEncoder& encode) {
  check_positive(sampling.num_prompts, "--num-prompts");
  check_positive(sampling.input_len, "--random-input-len");
  check_positive(sampling.output_len, "--random-output-len");
  if (!(sampling.range_ratio >= 0.0 && sampling.range_ratio <= 1.0)) {
    throw InputError("--random-range-ratio " + std::to_string(sampling.range_ratio) +
                     ": must be in [0, 1]");
  }
  // LMDeploy: conversations with >= 2 turns and a non-empty prompt, shuffled by random.shuffle.
  const std::vector<const ShareGptConversation*> pool = random_pool(dataset);
  PythonRandom rng(sampling.seed);
  const std::vector<uint32_t> order = shuffled_indices(pool.size(), rng);

  // LMDeploy draws the lengths with numpy's global generator, which it never seeds, so its
  // random workloads differ run to run. Ours continue the seeded Python stream after the
  // shuffle (random.randint, all input lengths, then all output lengths): deterministic for a
  // --seed and reproducible in plain Python. Output lengths start at 1, not 0 as LMDeploy's can
  // with --random-range-ratio 0: a request that generates nothing has no first token to time.
  const size_t n = static_cast<size_t>(sampling.num_prompts);
  const int64_t input_low =
      std::max<int64_t>(static_cast<int64_t>(sampling.input_len * sampling.range_ratio), 1);
  const int64_t output_low =
      std::max<int64_t>(static_cast<int64_t>(sampling.output_len * sampling.range_ratio), 1);
  std::vector<int32_t> input_lens(n), output_lens(n);
  for (auto& len : input_lens)
    len = static_cast<int32_t>(rng.randint(input_low, sampling.input_len));
  for (auto& len : output_lens) {
    len = static_cast<int32_t>(rng.randint(output_low, sampling.output_len));
  }
  SampledRequests out = prompts_of_lengths(dataset, pool, order, input_lens, output_lens, encode);
  warn_if_short(dataset.path, out, sampling.num_prompts);
  return out;
}

SampledRequests sample_random_with_lengths(const ShareGptDataset& dataset, int64_t seed,
                                           const std::vector<int32_t>& input_lens,
                                           const std::vector<int32_t>& output_lens,
                                           const BatchEncoder& encode) {
  TPBENCH_CHECK(input_lens.size() == output_lens.size(), "one output length per input length");
  const std::vector<const ShareGptConversation*> pool = random_pool(dataset);
  PythonRandom rng(seed);
  const std::vector<uint32_t> order = shuffled_indices(pool.size(), rng);
  return prompts_of_lengths(dataset, pool, order, input_lens, output_lens, encode);
}

}  // namespace tpbench
