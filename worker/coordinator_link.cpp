#include "worker/coordinator_link.hpp"

#include <stdexcept>

#include "common/clock.hpp"

namespace tpbench {

CoordinatorLink::CoordinatorLink(zmq::context_t& context, const wire::Endpoints& endpoints,
                                 const wire::CurveKeys& keys, int rank, uint32_t protocol_version)
    : rank_(rank),
      version_(protocol_version),
      control_(context, zmq::socket_type::dealer),
      records_(context, zmq::socket_type::push) {
  control_.set(zmq::sockopt::routing_id, wire::control_routing_id(rank));
  control_.set(zmq::sockopt::linger, 3000);
  wire::configure_curve_client(control_, keys, endpoints.server_public_z85);
  control_.connect(endpoints.control);
  records_.set(zmq::sockopt::linger, 10000);
  wire::configure_curve_client(records_, keys, endpoints.server_public_z85);
  records_.connect(endpoints.records);
}

void CoordinatorLink::send_ready(const wire::ReadyMsg& msg) {
  wire::send_message(control_, wire::MsgKind::kReady, rank_, msg, version_);
}

void CoordinatorLink::send_error(const wire::ErrorMsg& msg) {
  wire::send_message(control_, wire::MsgKind::kError, rank_, msg, version_);
}

void CoordinatorLink::send_done(const wire::DoneMsg& msg) {
  wire::send_message(control_, wire::MsgKind::kDone, rank_, msg, version_);
}

void CoordinatorLink::request_work(int max_requests) {
  wire::send_message(control_, wire::MsgKind::kWorkRequest, rank_,
                     wire::WorkRequestMsg{max_requests}, version_);
}

void CoordinatorLink::push_records(wire::RecordBatchMsg& batch) {
  wire::send_message(records_, wire::MsgKind::kRecordBatch, rank_, batch, version_);
}

std::variant<wire::GoMsg, wire::AbortMsg> CoordinatorLink::wait_start() {
  while (true) {
    wire::Received msg;
    if (!wire::receive_message(control_, false, msg)) continue;
    if (!msg.header_ok)
      throw std::runtime_error("coordinator sent a bad message: " + msg.header_error);
    if (msg.kind() == wire::MsgKind::kGo)
      return wire::decode_payload<wire::GoMsg>(msg.payload.data(), msg.payload.size());
    if (msg.kind() == wire::MsgKind::kAbort)
      return wire::decode_payload<wire::AbortMsg>(msg.payload.data(), msg.payload.size());
  }
}

std::optional<wire::WorkMsg> CoordinatorLink::poll_work(int timeout_ms) {
  if (work_.empty() && !stop_) receive_control(timeout_ms);
  if (work_.empty()) return std::nullopt;
  wire::WorkMsg work = std::move(work_.front());
  work_.pop_front();
  return work;
}

bool CoordinatorLink::stop_requested() {
  constexpr int64_t kLookEveryNs = 5'000'000;
  if (stop_) return true;
  const int64_t now = steady_now_ns();
  if (now < next_stop_look_ns_) return false;
  next_stop_look_ns_ = now + kLookEveryNs;
  receive_control(0);
  return stop_;
}

void CoordinatorLink::receive_control(int timeout_ms) {
  zmq::pollitem_t item{control_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return;
  wire::Received msg;
  while (wire::receive_message(control_, false, msg, zmq::recv_flags::dontwait)) {
    if (!msg.header_ok) continue;
    if (msg.kind() == wire::MsgKind::kWork)
      work_.push_back(wire::decode_payload<wire::WorkMsg>(msg.payload.data(), msg.payload.size()));
    else if (msg.kind() == wire::MsgKind::kStop)
      stop_ = true;
  }
}

}  // namespace tpbench
