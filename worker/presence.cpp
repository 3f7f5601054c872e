#include "worker/presence.hpp"

#include <chrono>

#include "common/clock.hpp"
#include "common/log.hpp"

namespace tpbench {

PresenceThread::PresenceThread(zmq::context_t& context, const wire::Endpoints& endpoints,
                               const wire::CurveKeys& keys, wire::HelloMsg hello,
                               uint32_t protocol_version, double interval_s,
                               const StepWatch* step_watch)
    : hello_(std::move(hello)),
      version_(protocol_version),
      interval_s_(interval_s),
      step_watch_(step_watch) {
  thread_ = std::thread([this, &context, endpoints, keys] { run(context, endpoints, keys); });
}

PresenceThread::~PresenceThread() {
  stop(0);
}

void PresenceThread::set_engine_ready(std::optional<GpuIdentity> gpu) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    engine_ready_ = true;
    gpu_ = std::move(gpu);
    beat_now_ = true;
  }
  cv_.notify_all();
}

void PresenceThread::stop(int exit_code) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      stop_ = true;
      exit_code_ = exit_code;
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PresenceThread::run(zmq::context_t& context, wire::Endpoints endpoints, wire::CurveKeys keys) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::routing_id, wire::presence_routing_id(hello_.rank));
    socket.set(zmq::sockopt::linger, 3000);
    wire::configure_curve_client(socket, keys, endpoints.server_public_z85);
    socket.connect(endpoints.control);
    wire::send_message(socket, wire::MsgKind::kHello, hello_.rank, hello_, version_);
    auto interval = std::chrono::duration<double>(interval_s_);
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, interval, [this] { return stop_ || beat_now_; });
      if (stop_) break;
      beat_now_ = false;
      wire::HeartbeatMsg beat{
          steady_now_ns(), step_watch_ ? step_watch_->in_step_ns() : 0, engine_ready_, {}};
      if (gpu_) beat.gpu.push_back(*gpu_);
      wire::send_message(socket, wire::MsgKind::kHeartbeat, hello_.rank, beat, version_);
    }
    wire::send_message(socket, wire::MsgKind::kBye, hello_.rank, wire::ByeMsg{exit_code_},
                       version_);
  } catch (const std::exception& e) {
    log_error(std::string("presence channel: ") + e.what());
  }
}

}  // namespace tpbench
