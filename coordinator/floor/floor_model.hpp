#pragma once
// The idealised floor of a run: how fast an engine with nothing but the step's cuBLAS GEMMs and
// its KV-cache reads could finish a workload on one card (docs/PERFORMANCE.md, "The card's own
// floor"). No engine can beat it; a run's output tok/s divided by the floor's says how close the
// engine gets on that card.
//
// The schedule: continuous batching at concurrency C over the requests in workload order.
// Before each step, free slots admit the next requests (at most C run at once). A request's
// whole prompt is prefilled in the step that admits it, and that step emits its first output
// token; every other running request emits one token a step (a decode row). A request leaves
// after emitting its output_len-th token, and its slot takes the next request in the step after.
// There is no prefill-token cap (unlike the engine's --max-prefill-tokens).
//
// A step's time = step_gemm_ms(step tokens) + context tokens * kv_bytes_per_context_token /
// copy_bytes_per_s, where
//   step tokens    = sum of the admitted prompts + the number of decode rows;
//   context tokens = the K/V-cache positions the step's decode rows read: a decode row
//                    feeding a request's k-th output token (at position P + k - 1) reads
//                    P + k positions, its own included. A prefill reads none from the cache:
//                    its attention runs over the K/V that the step itself produces, and that
//                    cost is attention FLOPs, which the floor leaves out.
// step_gemm_ms interpolates the measured points linearly, holds the first point's time below
// it, and scales the last point's time in proportion to the tokens beyond it.
// Attention FLOPs, kernel launches, sampling and host work are left out.
#include <cstdint>
#include <string>
#include <vector>

namespace tpbench {

struct FloorRequest {
  int64_t prompt_len = 0;  // >= 1
  int64_t output_len = 0;  // >= 1
};

// Measured on the card (tests/engine/cuda/measure_floor_inputs); tokens strictly increasing.
struct StepGemmPoint {
  int64_t tokens = 0;
  double ms = 0;  // all layers' qkv, o, gate_up, down GEMMs + the LM head, at `tokens` rows
};

struct FloorInputs {
  std::string card;  // the card's name, as measured; "" when unknown
  std::vector<StepGemmPoint> step_gemm;
  double copy_bytes_per_s = 0;  // device-to-device copy: bytes read + bytes written, per s
  double kv_bytes_per_context_token = 0;  // 2 (K and V) * layers * kv_heads * head_dim * dtype size
};

struct FloorResult {
  double seconds = 0;
  double gemm_seconds = 0;  // the part of `seconds` spent in GEMMs
  double kv_seconds = 0;    // the part spent reading K/V
  int64_t steps = 0;
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  double output_tok_s = 0;
  double req_s = 0;
};

// Throws InputError naming the field when the points are empty, not strictly increasing in
// tokens, or not positive.
void validate_floor_inputs(const FloorInputs& inputs);

// The GEMM time of one step of `tokens` rows (>= 1), in ms.
double step_gemm_ms(const std::vector<StepGemmPoint>& points, int64_t tokens);

// Throws InputError for concurrency < 1, a request with a length < 1, or invalid inputs.
FloorResult compute_floor(const std::vector<FloorRequest>& requests, int64_t concurrency,
                          const FloorInputs& inputs);

}  // namespace tpbench
