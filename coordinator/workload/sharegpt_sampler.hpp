#pragma once
// LMDeploy's request sampling over a loaded ShareGPT file: `--dataset-name sharegpt` (its
// sample_sharegpt_requests) and `--dataset-name random` (its sample_random_requests).
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "common/workload.hpp"
#include "coordinator/workload/sharegpt_dataset.hpp"

namespace tpbench {

// Tokenizes a batch of texts; result[i] is texts[i]. build_workload passes encode_parallel.
using BatchEncoder = std::function<std::vector<std::vector<int32_t>>(
    const std::vector<std::string_view>& texts, bool add_bos)>;

struct SampledRequests {
  std::vector<WorkloadRequest> requests;  // requests[i].id == i
  std::vector<uint32_t> source_records;   // the file record each request came from
  size_t eligible = 0;                    // candidates the sampler shuffled
  size_t examined = 0;                    // candidates tokenized before enough were accepted
  size_t rejected = 0;                    // examined but dropped by the length filters
  // rejected, by the first filter each failed (sharegpt mode): they add up to rejected
  size_t prompt_too_short = 0;  // prompt < 4 tokens
  size_t output_too_short = 0;  // output < 4 tokens
  size_t prompt_too_long = 0;   // prompt > 1024 tokens
  size_t total_too_long = 0;    // prompt + output > 2048 tokens
};

struct ShareGptSampling {
  int num_prompts = 5000;
  std::optional<int> fixed_output_len;  // --sharegpt-output-len
  int64_t seed = 0;
};

// random.seed(seed); random.shuffle(conversations); walk them in that order, encode prompt and
// completion with BOS, and keep while fewer than num_prompts are kept, dropping prompt < 4,
// output < 4, prompt > 1024 and (only when the output length comes from the data)
// prompt + output > 2048. Batches are encoded ahead in parallel but accepted strictly in order,
// so the result is the sequential algorithm's. Fewer than num_prompts: a warning; none: InputError.
SampledRequests sample_sharegpt(const ShareGptDataset& dataset, const ShareGptSampling& sampling,
                                const BatchEncoder& encode);

struct RandomSampling {
  int num_prompts = 5000;
  int input_len = 1024;
  int output_len = 1024;
  double range_ratio = 0.0;
  int64_t seed = 0;
};

// LMDeploy's current random mode: input lengths uniform in [max(int(input_len * ratio), 1),
// input_len], output lengths in [max(int(output_len * ratio), 1), output_len]; each prompt is a
// shuffled ShareGPT prompt's ids (with BOS) repeated and truncated to its input length.
SampledRequests sample_random(const ShareGptDataset& dataset, const RandomSampling& sampling,
                              const BatchEncoder& encode);

// Random mode's prompts (the same seeded shuffle of the same pool, each prompt's ids repeated
// and cut) with lengths given rather than drawn: --trace's rows. input_lens[i] >= 1.
SampledRequests sample_random_with_lengths(const ShareGptDataset& dataset, int64_t seed,
                                           const std::vector<int32_t>& input_lens,
                                           const std::vector<int32_t>& output_lens,
                                           const BatchEncoder& encode);

}  // namespace tpbench
