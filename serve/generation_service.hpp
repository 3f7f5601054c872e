#pragma once
// The seam between the HTTP front end and the engines: requests go in from any thread, their
// tokens and their end come back through callbacks. The front end never waits on an engine step.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace tpbench::serve {

enum class ReplicaState { kStarting, kServing, kFailed, kStopped };

// How /tpbench/replicas spells it: "starting", "serving", "failed", "stopped".
inline const char* name_of(ReplicaState state) {
  switch (state) {
    case ReplicaState::kStarting:
      return "starting";
    case ReplicaState::kServing:
      return "serving";
    case ReplicaState::kFailed:
      return "failed";
    case ReplicaState::kStopped:
      return "stopped";
  }
  return "unknown";
}

// What /tpbench/replicas shows of one replica (counts since the server started).
struct ReplicaCounters {
  int replica = 0;
  int leader_rank = 0;
  ReplicaState state = ReplicaState::kStarting;
  std::string failure;     // why it failed ("" unless failed)
  uint64_t in_flight = 0;  // submitted, not yet ended or cancelled
  uint64_t requests = 0;   // submitted to it
  uint64_t tokens = 0;     // tokens its engine reported, cancelled requests' included
  uint64_t cancelled = 0;  // requests cancelled while in flight
  uint64_t failures = 0;   // requests it failed
};

class GenerationService {
 public:
  // Called on the service's own thread, in token order; finished marks the request's last token
  // (on_done follows). Must not block (post elsewhere).
  using OnToken = std::function<void(uint64_t id, int32_t token, bool finished, int64_t time_ns)>;
  // Called once, after the last on_token: ok, or the reason the request failed.
  using OnDone = std::function<void(uint64_t id, bool ok, const std::string& reason)>;

  struct Submitted {
    uint64_t id = 0;
    int replica = -1;  // the replica that generates it; -1: none (on_done(false) comes)
  };

  virtual ~GenerationService() = default;
  // Thread-safe. Assigns request.id (the caller's is ignored).
  virtual Submitted submit(EngineRequest request, OnToken on_token, OnDone on_done) = 0;
  // Thread-safe. No further callbacks for this request; its engine stops generating it
  // (Engine::cancel) and frees what it held.
  virtual void cancel(uint64_t id) = 0;
  // Thread-safe.
  virtual std::vector<ReplicaCounters> counters() const = 0;
};

}  // namespace tpbench::serve
