#pragma once
// One request of the benchmark workload, as the coordinator samples it and ships it to a
// replica. Defined once here so both sides agree on the wire shape.
#include <msgpack.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tpbench {

struct WorkloadRequest {
  uint64_t id = 0;                  // position in sampled order: 0 .. n-1
  std::vector<int32_t> prompt_ids;  // what the engine is fed (with BOS when the tokenizer adds one)
  int32_t prompt_len = 0;           // == prompt_ids.size(); counted in input throughput
  int32_t output_len = 0;           // exact number of tokens to generate (ignore_eos)
  // Open loop: when it arrives, in ns since t0 (the coordinator's schedule). -1: closed loop,
  // it is taken in as soon as a slot frees.
  int64_t scheduled_ns = -1;
  // --backend openai with --prompt-format text: the prompt as sent (ShareGPT: the
  // conversation's own text; random / token-ids: the tokenizer's decode of prompt_ids). Empty
  // otherwise.
  std::string prompt_text;
  MSGPACK_DEFINE_MAP(id, prompt_ids, prompt_len, output_len, scheduled_ns, prompt_text);
};

// An open-loop workload: its requests carry scheduled times (the first one says for all).
inline bool has_schedule(const std::vector<WorkloadRequest>& requests) {
  return !requests.empty() && requests.front().scheduled_ns >= 0;
}

}  // namespace tpbench
