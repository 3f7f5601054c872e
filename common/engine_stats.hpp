#pragma once
// What one engine replica did over a run: the engine fills it, the leader sends it in its
// DoneMsg, the coordinator reports it per replica. Defined once here, with its wire form.
#include <msgpack.hpp>

#include <cstdint>

namespace tpbench {

struct EngineStats {
  int64_t steps = 0;
  int64_t prefill_tokens = 0;
  int64_t decode_tokens = 0;
  int64_t preemptions = 0;
  int64_t kv_blocks_total = 0;
  int64_t busy_ns = 0;  // time spent inside step()
  bool operator==(const EngineStats&) const = default;
  MSGPACK_DEFINE_MAP(steps, prefill_tokens, decode_tokens, preemptions, kv_blocks_total, busy_ns);
};

}  // namespace tpbench
