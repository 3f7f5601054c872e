#pragma once
// The timing record of one finished (or failed) request: what a leader sends the coordinator
// and what every metric is computed from. All times are nanoseconds since the run's t0.
#include <msgpack.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tpbench {

struct RequestRecord {
  uint64_t id = 0;
  int32_t replica = 0;
  int32_t prompt_tokens = 0;
  int32_t output_tokens = 0;  // tokens actually generated
  // Open loop (docs/ARCHITECTURE.md "Load shapes"): when the request was due (its arrival in the
  // schedule) and how long it then waited for a --max-concurrency slot. In a closed loop a
  // request is due when a slot takes it: scheduled_ns == submit_ns and queue_ns == 0.
  int64_t scheduled_ns = 0;
  int64_t queue_ns = 0;
  int64_t submit_ns = 0;           // taken in by the leader (lag = submit - scheduled - queue)
  int64_t first_token_ns = 0;      // first generated token available (the engine's time)
  int64_t finish_ns = 0;           // last token available / the engine gave up
  std::vector<int64_t> token_ns;   // time of every generated token (first included); may be empty
  std::vector<int32_t> token_ids;  // generated ids, only with --record-tokens
  bool ok = true;
  std::string error;  // why it failed when !ok
  // --backend openai: the output tokens the client counted in the stream (the ids the server
  // sent, else its tokenizer's count of each chunk's text); output_tokens is then the server's
  // usage.completion_tokens when it sent one. -1: an in-process engine (no client count).
  int32_t client_output_tokens = -1;
  // The output length the workload asked for (its output_len); -1: unknown. An in-process engine
  // always generates exactly that; a server may not (a context limit, a stop it did not skip).
  int32_t requested_output_tokens = -1;
  // Map keys in this order; new fields go last.
  MSGPACK_DEFINE_MAP(id, replica, prompt_tokens, output_tokens, scheduled_ns, queue_ns, submit_ns,
                     first_token_ns, finish_ns, token_ns, token_ids, ok, error,
                     client_output_tokens, requested_output_tokens);
};

}  // namespace tpbench
