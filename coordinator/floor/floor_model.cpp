#include "coordinator/floor/floor_model.hpp"

#include <string>

#include "common/error.hpp"

namespace tpbench {

void validate_floor_inputs(const FloorInputs& inputs) {
  if (inputs.step_gemm.empty()) throw InputError("floor inputs: step_gemm has no points");
  for (size_t i = 0; i < inputs.step_gemm.size(); ++i) {
    const StepGemmPoint& p = inputs.step_gemm[i];
    const std::string where = "floor inputs: step_gemm[" + std::to_string(i) + "]";
    if (p.tokens < 1 || !(p.ms > 0)) throw InputError(where + " needs tokens >= 1 and ms > 0");
    if (i > 0 && p.tokens <= inputs.step_gemm[i - 1].tokens)
      throw InputError(where + ": tokens must increase strictly");
  }
  if (!(inputs.copy_bytes_per_s > 0))
    throw InputError("floor inputs: copy_bytes_per_s must be > 0");
  if (!(inputs.kv_bytes_per_context_token >= 0))
    throw InputError("floor inputs: kv_bytes_per_context_token must be >= 0");
}

double step_gemm_ms(const std::vector<StepGemmPoint>& points, int64_t tokens) {
  if (tokens <= points.front().tokens) return points.front().ms;
  const StepGemmPoint& last = points.back();
  if (tokens >= last.tokens) return last.ms * static_cast<double>(tokens) / last.tokens;
  size_t hi = 1;
  while (points[hi].tokens < tokens) ++hi;
  const StepGemmPoint& a = points[hi - 1];
  const StepGemmPoint& b = points[hi];
  const double f =
      static_cast<double>(tokens - a.tokens) / static_cast<double>(b.tokens - a.tokens);
  return a.ms + f * (b.ms - a.ms);
}

namespace {

struct Running {
  int64_t prompt_len;
  int64_t output_len;
  int64_t emitted;
};

}  // namespace

FloorResult compute_floor(const std::vector<FloorRequest>& requests, int64_t concurrency,
                          const FloorInputs& inputs) {
  validate_floor_inputs(inputs);
  if (concurrency < 1) throw InputError("floor: concurrency must be >= 1");
  for (size_t i = 0; i < requests.size(); ++i)
    if (requests[i].prompt_len < 1 || requests[i].output_len < 1)
      throw InputError("floor: request " + std::to_string(i) +
                       " needs prompt and output lengths >= 1");

  FloorResult r;
  r.requests = static_cast<int64_t>(requests.size());
  std::vector<Running> running;
  running.reserve(static_cast<size_t>(concurrency));
  size_t next = 0;
  while (next < requests.size() || !running.empty()) {
    int64_t tokens = 0;
    int64_t context = 0;
    for (Running& q : running) {  // decode rows: feed output token `emitted`, read P + emitted
      tokens += 1;
      context += q.prompt_len + q.emitted;
      ++q.emitted;
    }
    while (static_cast<int64_t>(running.size()) < concurrency && next < requests.size()) {
      const FloorRequest& q = requests[next++];
      tokens += q.prompt_len;  // a prefill reads no K/V from the cache
      running.push_back({q.prompt_len, q.output_len, 1});
      r.prompt_tokens += q.prompt_len;
    }
    const double gemm_s = step_gemm_ms(inputs.step_gemm, tokens) * 1e-3;
    const double kv_s =
        static_cast<double>(context) * inputs.kv_bytes_per_context_token / inputs.copy_bytes_per_s;
    r.gemm_seconds += gemm_s;
    r.kv_seconds += kv_s;
    r.output_tokens += static_cast<int64_t>(running.size());
    ++r.steps;
    std::erase_if(running, [](const Running& q) { return q.emitted >= q.output_len; });
  }
  r.seconds = r.gemm_seconds + r.kv_seconds;
  if (r.seconds > 0) {
    r.output_tok_s = static_cast<double>(r.output_tokens) / r.seconds;
    r.req_s = static_cast<double>(r.requests) / r.seconds;
  }
  return r;
}

}  // namespace tpbench
