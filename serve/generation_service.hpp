#pragma once
// The seam between the HTTP front end and an engine: requests go in from any thread, their
// tokens and their end come back through callbacks. The front end never waits on an engine step.
#include <cstdint>
#include <functional>
#include <string>

#include "engine/engine.hpp"

namespace tpbench::serve {

class GenerationService {
 public:
  // Called on the service's own thread, in token order; must not block (post elsewhere).
  using OnToken = std::function<void(uint64_t id, int32_t token, int64_t time_ns)>;
  // Called once, after the last on_token: ok, or the reason the engine gave up on the request.
  using OnDone = std::function<void(uint64_t id, bool ok, const std::string& reason)>;

  virtual ~GenerationService() = default;
  // Thread-safe. Assigns and returns request.id (the caller's is ignored).
  virtual uint64_t submit(EngineRequest request, OnToken on_token, OnDone on_done) = 0;
  // Thread-safe. No further callbacks for this request. The Engine seam has no abort, so the
  // engine may still generate its remaining tokens; they are dropped.
  virtual void cancel(uint64_t id) = 0;
};

}  // namespace tpbench::serve
