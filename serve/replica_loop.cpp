#include "serve/replica_loop.hpp"

#include <string>

#include "common/log.hpp"

namespace tpbench::serve {
namespace {

EngineRequest engine_request(wire::ServeRequest&& r) {
  EngineRequest e;
  e.id = r.id;
  e.prompt = std::move(r.prompt);
  e.max_new_tokens = r.max_new_tokens;
  e.min_new_tokens = r.min_new_tokens;
  e.stop_token_ids = std::move(r.stop_token_ids);
  e.sampling.top_k = r.top_k;
  e.sampling.top_p = r.top_p;
  e.sampling.temperature = r.temperature;
  e.sampling.seed = r.seed;
  return e;
}

wire::ServeEventsMsg events_of(const StepResult& result) {
  wire::ServeEventsMsg events;
  events.tokens.reserve(result.tokens.size());
  for (const StepResult::Token& t : result.tokens)
    events.tokens.push_back({t.request_id, t.token, t.finished});
  for (const StepResult::Failure& f : result.failures)
    events.failures.push_back({f.request_id, f.reason});
  return events;
}

class Loop {
 public:
  Loop(zmq::context_t& context, Engine& engine, const ReplicaLoopSetup& setup)
      : engine_(engine), setup_(setup), socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::routing_id, wire::control_routing_id(setup.rank));
    socket_.set(zmq::sockopt::linger, 3000);
    wire::configure_curve_client(socket_, setup.keys, setup.endpoints.server_public_z85);
    socket_.connect(setup.endpoints.control);
  }

  ExitStatus run() {
    send(wire::MsgKind::kReady,
         wire::ReadyMsg{setup_.replica, setup_.slots, engine_.describe(), 0.0});
    ExitStatus status = exit_status_of([&] { serve(); });
    if (status.code != 0) {
      const std::string reason =
          "replica " + std::to_string(setup_.replica) + ": engine failed: " + status.message;
      log_error(reason);
      broken_ = true;
      send(wire::MsgKind::kError, wire::ErrorMsg{setup_.replica, status.code, reason});
      while (!stop_) receive(-1);  // the front end fails this replica's requests, then stops all
    }
    ExitStatus shutdown = exit_status_of([&] { engine_.shutdown(); });
    if (status.code == 0) status = shutdown;
    send(wire::MsgKind::kDone, wire::DoneMsg{setup_.replica, 0, engine_.stats()});
    return status;
  }

 private:
  void serve() {
    while (!stop_) {
      receive(engine_.pending() > 0 ? 0 : -1);
      if (stop_ || engine_.pending() == 0) continue;
      const StepResult result = engine_.step();
      if (result.tokens.empty() && result.failures.empty()) continue;
      send(wire::MsgKind::kServeEvents, events_of(result));
    }
  }

  // Waits up to timeout_ms (-1: until one comes) for a message, then takes every queued one.
  void receive(int timeout_ms) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return;
    wire::Received msg;
    while (wire::receive_message(socket_, false, msg, zmq::recv_flags::dontwait)) {
      if (!msg.header_ok || msg.header.version != wire::kProtocolVersion) {
        log_warn("replica " + std::to_string(setup_.replica) +
                 ": a malformed message from the front end is ignored");
        continue;
      }
      const void* data = msg.payload.data();
      const size_t size = msg.payload.size();
      switch (msg.kind()) {
        case wire::MsgKind::kServeRequests:
          if (broken_) break;
          for (wire::ServeRequest& r :
               wire::decode_payload<wire::ServeRequestsMsg>(data, size).requests)
            engine_.add(engine_request(std::move(r)));
          break;
        case wire::MsgKind::kServeCancel:
          if (broken_) break;
          for (uint64_t id : wire::decode_payload<wire::ServeCancelMsg>(data, size).ids)
            engine_.cancel(id);
          break;
        case wire::MsgKind::kStop:
          stop_ = true;
          break;
        default:
          break;
      }
    }
  }

  template <typename T>
  void send(wire::MsgKind kind, const T& payload) {
    wire::send_message(socket_, kind, setup_.rank, payload);
  }

  Engine& engine_;
  const ReplicaLoopSetup& setup_;
  zmq::socket_t socket_;
  bool stop_ = false;
  bool broken_ = false;
};

}  // namespace

ExitStatus run_replica_loop(zmq::context_t& context, Engine& engine,
                            const ReplicaLoopSetup& setup) {
  return Loop(context, engine, setup).run();
}

}  // namespace tpbench::serve
