#pragma once
// ZeroMQ plumbing shared by the coordinator and the workers: CURVE keys, the ZAP handler that
// admits only the run's own ranks, and two-frame (header, payload) messages.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/wire/codec.hpp"

namespace tpbench::wire {

inline constexpr size_t kCurveKeyZ85Length = 40;

// Where the coordinator listens (rank 0 broadcasts this over MPI).
struct Endpoints {
  std::string control;            // ROUTER: presence (hello, heartbeat, bye) and control
  std::string records;            // PULL: record batches
  std::string server_public_z85;  // the coordinator's CURVE public key for this run
  MSGPACK_DEFINE_MAP(control, records, server_public_z85);
};

// Routing ids the ranks give their DEALER sockets, so the coordinator can address them.
inline std::string routing_id(char prefix, int rank) {
  std::string id(1, prefix);
  id += std::to_string(rank);
  return id;
}
inline std::string presence_routing_id(int rank) {
  return routing_id('p', rank);
}
inline std::string control_routing_id(int rank) {
  return routing_id('c', rank);
}

struct CurveKeys {
  std::string public_z85;  // 40 characters
  std::string secret_z85;
};

// A fresh key pair. Throws std::runtime_error when libzmq was built without CURVE.
CurveKeys make_curve_keys();

void configure_curve_server(zmq::socket_t& socket, const CurveKeys& server);
void configure_curve_client(zmq::socket_t& socket, const CurveKeys& client,
                            const std::string& server_public_z85);

// Answers libzmq's ZAP requests for every CURVE server socket of `context`: a client is admitted
// only when its public key is one of `allowed` (z85 key -> user id, e.g. "rank 3"); messages from
// it then carry that user id ("User-Id" property). Must be constructed before the server sockets
// bind (a CURVE server without a ZAP handler would admit anyone).
class ZapAuthenticator {
 public:
  ZapAuthenticator(zmq::context_t& context, std::map<std::string, std::string> allowed);
  ~ZapAuthenticator();
  ZapAuthenticator(const ZapAuthenticator&) = delete;
  ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;
  size_t rejected() const { return rejected_.load(); }

 private:
  void serve();
  zmq::socket_t socket_;
  std::map<std::string, std::string> allowed_;  // binary 32-byte key -> user id
  std::atomic<bool> stop_{false};
  std::atomic<size_t> rejected_{0};
  std::thread thread_;
};

// Sends [routing id,] header, payload.
template <typename T>
void send_message(zmq::socket_t& socket, MsgKind kind, int32_t rank, const T& payload,
                  uint32_t version = kProtocolVersion, const std::string* routing_id = nullptr) {
  msgpack::sbuffer head;
  pack_into(head, Header{version, static_cast<int32_t>(kind), rank});
  msgpack::sbuffer body;
  pack_into(body, payload);
  if (routing_id) socket.send(zmq::buffer(*routing_id), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(head.data(), head.size()), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(body.data(), body.size()), zmq::send_flags::none);
}

struct Received {
  std::string routing_id;  // ROUTER sockets only
  Header header;
  bool header_ok = false;
  std::string header_error;  // why the header did not decode
  zmq::message_t payload;
  std::string user_id;  // from the ZAP handler; "" without CURVE
  int source_fd = -1;   // the connection it came in on (for disconnect tracking)
  MsgKind kind() const { return static_cast<MsgKind>(header.kind); }
};

// Receives one whole message. Returns false when none is waiting (flags dontwait).
bool receive_message(zmq::socket_t& socket, bool router, Received& out,
                     zmq::recv_flags flags = zmq::recv_flags::none);

// One event of a socket monitor (zmq_socket_monitor): what happened on which connection.
struct MonitorEvent {
  uint16_t event = 0;  // ZMQ_EVENT_*
  int fd = -1;         // the connection (Received::source_fd of its messages)
};

// Takes the next event off a monitor's PAIR socket without waiting; false when none is queued.
// Frames too short to be an event are skipped.
bool receive_monitor_event(zmq::socket_t& monitor, MonitorEvent& out);

}  // namespace tpbench::wire
