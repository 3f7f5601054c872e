#pragma once
// Every rank's liveness channel to the coordinator: a hello at start, a heartbeat every
// interval from its own thread, a bye at the normal end. Beats flow while the engine is being
// built too, and say whether it is built yet, so the coordinator tells a slow start-up from a
// dead rank. A rank that dies drops this TCP connection at once, which is how the coordinator
// names a dead rank within milliseconds.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "common/gpu_identity.hpp"
#include "common/wire/transport.hpp"
#include "worker/step_watch.hpp"

namespace tpbench {

class PresenceThread {
 public:
  PresenceThread(zmq::context_t& context, const wire::Endpoints& endpoints,
                 const wire::CurveKeys& keys, wire::HelloMsg hello, uint32_t protocol_version,
                 double interval_s, const StepWatch* step_watch = nullptr);
  ~PresenceThread();  // stop(0) if not stopped
  PresenceThread(const PresenceThread&) = delete;
  PresenceThread& operator=(const PresenceThread&) = delete;

  // The rank's engine is built: every heartbeat from now on says so, with the GPU it computes on
  // (if any), the next one at once.
  void set_engine_ready(std::optional<GpuIdentity> gpu);
  // Sends bye and closes the connection (waits up to a few seconds for delivery).
  void stop(int exit_code);

 private:
  void run(zmq::context_t& context, wire::Endpoints endpoints, wire::CurveKeys keys);

  wire::HelloMsg hello_;
  uint32_t version_;
  double interval_s_;
  const StepWatch* step_watch_;  // leaders only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool engine_ready_ = false;
  std::optional<GpuIdentity> gpu_;
  bool beat_now_ = false;
  int exit_code_ = 0;
  std::thread thread_;
};

}  // namespace tpbench
