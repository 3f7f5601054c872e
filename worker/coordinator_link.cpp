#include "worker/coordinator_link.hpp"

#include <stdexcept>

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
  zmq::pollitem_t item{control_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return std::nullopt;
  wire::Received msg;
  while (wire::receive_message(control_, false, msg, zmq::recv_flags::dontwait)) {
    if (msg.header_ok && msg.kind() == wire::MsgKind::kWork)
      return wire::decode_payload<wire::WorkMsg>(msg.payload.data(), msg.payload.size());
  }
  return std::nullopt;
}

}  // namespace tpbench
