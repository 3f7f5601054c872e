#pragma once
// A TP leader's two connections to the coordinator: control (DEALER: ready, go, work, stop,
// done) and records (PUSH: batched RequestRecords).
#include <cstdint>
#include <deque>
#include <optional>
#include <variant>

#include "common/wire/transport.hpp"
#include "worker/leader.hpp"

namespace tpbench {

class CoordinatorLink final : public RecordSink, public WorkSource, public StopSignal {
 public:
  CoordinatorLink(zmq::context_t& context, const wire::Endpoints& endpoints,
                  const wire::CurveKeys& keys, int rank, uint32_t protocol_version);

  void send_ready(const wire::ReadyMsg& msg);
  void send_error(const wire::ErrorMsg& msg);
  void send_done(const wire::DoneMsg& msg);
  void request_work(int max_requests) override;
  void push_records(wire::RecordBatchMsg& batch) override;

  // Blocks until the coordinator says go or abort.
  std::variant<wire::GoMsg, wire::AbortMsg> wait_start();
  // Waits up to timeout_ms (0: just looks) for a work batch.
  std::optional<wire::WorkMsg> poll_work(int timeout_ms) override;
  // Whether the coordinator said stop; looks at the socket at most every few milliseconds.
  bool stop_requested() override;

 private:
  // Waits up to timeout_ms for the first message, then takes every queued one.
  void receive_control(int timeout_ms);

  int rank_;
  uint32_t version_;
  zmq::socket_t control_;
  zmq::socket_t records_;
  std::deque<wire::WorkMsg> work_;
  bool stop_ = false;
  int64_t next_stop_look_ns_ = 0;
};

}  // namespace tpbench
