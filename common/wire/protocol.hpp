#pragma once
// The coordinator <-> worker protocol (profile_throughput) and the front end <-> leader protocol
// (tpbench_serve): its version and the kinds of message they carry.
// Every frame on the wire starts with a Header naming the version, so a rank built from
// another tpbench revision is refused by name instead of garbling the run.
#include <msgpack.hpp>

#include <cstdint>
#include <string>

namespace tpbench::wire {

// Bump whenever a message's fields or meaning change.
inline constexpr uint32_t kProtocolVersion = 7;

enum class MsgKind : int32_t {
  kHello = 1,         // rank -> coordinator (presence socket): who I am
  kHeartbeat = 2,     // rank -> coordinator (presence socket): still alive
  kBye = 3,           // rank -> coordinator (presence socket): leaving normally
  kReady = 4,         // leader -> coordinator (control): engine built
  kError = 5,         // leader -> coordinator (control): engine build or run failed
  kGo = 6,            // coordinator -> leader: start (with the static shard)
  kAbort = 7,         // coordinator -> leader: do not start
  kWorkRequest = 8,   // leader -> coordinator: dynamic dispatch, give me more
  kWork = 9,          // coordinator -> leader: a batch of requests
  kDone = 10,         // leader -> coordinator: all my requests ended; replica stats
  kRecordBatch = 11,  // leader -> coordinator (records socket): finished requests
  kStop = 12,         // coordinator -> leader: --timeout: take no more requests, end now
  // tpbench_serve (its leaders also send ready, error and done, and get stop: shut down).
  kServeRequests = 13,  // front end -> leader: requests to add to the engine
  kServeCancel = 14,    // front end -> leader: requests to end now
  kServeEvents = 15,    // leader -> front end: one engine step's tokens and failures
};

const char* kind_name(MsgKind kind);

// First frame of every message.
struct Header {
  uint32_t version = kProtocolVersion;
  int32_t kind = 0;
  int32_t rank = -1;  // sender's world rank (-1: the coordinator)
  MSGPACK_DEFINE_MAP(version, kind, rank);
};

}  // namespace tpbench::wire
