#pragma once
// The payloads of the coordinator <-> worker protocol (second frame of every message).
// Times are nanoseconds since the run's t0.
#include <msgpack.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/engine_stats.hpp"
#include "common/gpu_identity.hpp"
#include "common/records.hpp"
#include "common/workload.hpp"

namespace tpbench::wire {

struct HelloMsg {
  uint32_t protocol_version = 0;
  int32_t rank = -1;
  int32_t replica = -1;
  std::string role;  // "leader" | "follower"
  std::string host;
  int32_t pid = 0;
  MSGPACK_DEFINE_MAP(protocol_version, rank, replica, role, host, pid);
};

struct HeartbeatMsg {
  int64_t sent_ns = 0;           // sender's steady clock (ns since t0 once the run started)
  int64_t in_step_ns = 0;        // a leader inside an engine step: how long that step has run
  bool engine_ready = false;     // the rank's engine is built (start-up done on this rank)
  std::vector<GpuIdentity> gpu;  // once engine_ready: the GPU it computes on (none: cpu, sim)
  MSGPACK_DEFINE_MAP(sent_ns, in_step_ns, engine_ready, gpu);
};

struct ByeMsg {
  int32_t exit_code = 0;
  MSGPACK_DEFINE_MAP(exit_code);
};

struct ReadyMsg {
  int32_t replica = -1;
  int32_t slots = 0;
  std::string engine;  // Engine::describe()
  double build_seconds = 0;
  MSGPACK_DEFINE_MAP(replica, slots, engine, build_seconds);
};

struct ErrorMsg {
  int32_t replica = -1;
  int32_t exit_code = 1;  // 2: bad input (flag, model dir), 1: anything else
  std::string message;
  MSGPACK_DEFINE_MAP(replica, exit_code, message);
};

struct GoMsg {
  bool dynamic = false;
  uint64_t total_requests = 0;         // in the whole run
  std::vector<WorkloadRequest> shard;  // static dispatch: every request of this replica
  MSGPACK_DEFINE_MAP(dynamic, total_requests, shard);
};

struct AbortMsg {
  std::string reason;
  MSGPACK_DEFINE_MAP(reason);
};

// The run ends now (--timeout): the leader takes no more requests, abandons those in flight,
// shuts its engine down and sends done.
struct StopMsg {
  std::string reason;
  MSGPACK_DEFINE_MAP(reason);
};

struct WorkRequestMsg {
  int32_t max_requests = 0;
  MSGPACK_DEFINE_MAP(max_requests);
};

struct WorkMsg {
  std::vector<WorkloadRequest> requests;
  bool exhausted = false;  // nothing more will come
  MSGPACK_DEFINE_MAP(requests, exhausted);
};

struct DoneMsg {
  int32_t replica = -1;
  uint64_t records_sent = 0;  // records pushed on the records socket, all batches
  EngineStats stats;
  MSGPACK_DEFINE_MAP(replica, records_sent, stats);
};

struct RecordBatchMsg {
  int32_t replica = -1;
  uint64_t seq = 0;  // batch number from this replica, 0, 1, ...
  std::vector<RequestRecord> records;
  MSGPACK_DEFINE_MAP(replica, seq, records);
};

// tpbench_serve. The front end numbers requests (ids unique in the server's life); a leader
// answers with one ServeEventsMsg per engine step that produced a token or a failure.
struct ServeRequest {
  uint64_t id = 0;
  std::vector<int32_t> prompt;
  int32_t max_new_tokens = 0;
  int32_t min_new_tokens = 0;
  std::vector<int32_t> stop_token_ids;  // empty: exactly max_new_tokens (ignore_eos)
  int32_t top_k = 1;
  float top_p = 1.0f;
  float temperature = 1.0f;
  uint64_t seed = 0;
  MSGPACK_DEFINE_MAP(id, prompt, max_new_tokens, min_new_tokens, stop_token_ids, top_k, top_p,
                     temperature, seed);
};

struct ServeRequestsMsg {
  std::vector<ServeRequest> requests;
  MSGPACK_DEFINE_MAP(requests);
};

// No token or failure comes for these ids afterwards (the engine frees what they held).
struct ServeCancelMsg {
  std::vector<uint64_t> ids;
  MSGPACK_DEFINE_MAP(ids);
};

struct ServeToken {
  uint64_t id = 0;
  int32_t token = 0;
  bool finished = false;  // the request's last token
  MSGPACK_DEFINE_MAP(id, token, finished);
};

struct ServeFailure {
  uint64_t id = 0;
  std::string reason;
  MSGPACK_DEFINE_MAP(id, reason);
};

struct ServeEventsMsg {
  std::vector<ServeToken> tokens;  // in the order the step produced them
  std::vector<ServeFailure> failures;
  MSGPACK_DEFINE_MAP(tokens, failures);
};

}  // namespace tpbench::wire
