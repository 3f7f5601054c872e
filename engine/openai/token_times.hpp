#pragma once
// How --backend openai turns one streamed chunk into token times (docs/ARCHITECTURE.md,
// "The OpenAI client's timing"). A chunk carrying k tokens that arrives at t, after the
// previous content chunk at p, gives the k tokens the times p + (t - p) * j / k, j = 1..k: the
// gap is split evenly, and the last token lands on t. The request's first content chunk has no
// previous one (what came before it is the server's prefill, not decode), so all its tokens
// take its arrival time: TTFT is the first content chunk's arrival.
#include <cstdint>
#include <vector>

namespace tpbench::openai {

// previous_ns < 0: this is the first content chunk. k < 1 is taken as 1.
std::vector<int64_t> chunk_token_times(int64_t previous_ns, int64_t arrival_ns, int32_t k);

}  // namespace tpbench::openai
