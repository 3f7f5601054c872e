#include "common/wire/transport.hpp"

#include <array>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace tpbench::wire {
namespace {
constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomain = "tpbench";
}  // namespace

CurveKeys make_curve_keys() {
  if (!zmq_has("curve"))
    throw std::runtime_error("this libzmq has no CURVE support (built without libsodium)");
  std::array<char, kCurveKeyZ85Length + 1> pub{}, sec{};
  if (zmq_curve_keypair(pub.data(), sec.data()) != 0)
    throw std::runtime_error(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
  return {std::string(pub.data()), std::string(sec.data())};
}

void configure_curve_server(zmq::socket_t& socket, const CurveKeys& server) {
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, server.secret_z85);
}

void configure_curve_client(zmq::socket_t& socket, const CurveKeys& client,
                            const std::string& server_public_z85) {
  socket.set(zmq::sockopt::curve_serverkey, server_public_z85);
  socket.set(zmq::sockopt::curve_publickey, client.public_z85);
  socket.set(zmq::sockopt::curve_secretkey, client.secret_z85);
}

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context,
                                   std::map<std::string, std::string> allowed)
    : socket_(context, zmq::socket_type::rep) {
  for (auto& [z85, user] : allowed) {
    if (z85.size() != kCurveKeyZ85Length) throw std::runtime_error("bad CURVE public key length");
    std::array<uint8_t, 32> bin{};
    if (!zmq_z85_decode(bin.data(), z85.c_str())) throw std::runtime_error("bad CURVE public key");
    allowed_.emplace(std::string(reinterpret_cast<const char*>(bin.data()), bin.size()), user);
  }
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kZapEndpoint);
  thread_ = std::thread([this] { serve(); });
}

ZapAuthenticator::~ZapAuthenticator() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapAuthenticator::serve() {
  while (!stop_) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) <= 0) continue;
    std::vector<zmq::message_t> frames;
    do {
      zmq::message_t frame;
      if (!socket_.recv(frame)) break;
      frames.push_back(std::move(frame));
    } while (frames.back().more());
    // version, request id, domain, address, routing id, mechanism, credentials...
    std::string status = "400", text = "unknown client key", user;
    if (frames.size() >= 7 && frames[5].to_string_view() == "CURVE") {
      auto it = allowed_.find(frames[6].to_string());
      if (it != allowed_.end()) {
        status = "200";
        text = "OK";
        user = it->second;
      }
    } else {
      text = "CURVE required";
    }
    if (status != "200") ++rejected_;
    std::string request_id = frames.size() > 1 ? frames[1].to_string() : "";
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(user), zmq::send_flags::sndmore);
    socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
  }
}

bool receive_message(zmq::socket_t& socket, bool router, Received& out, zmq::recv_flags flags) {
  std::vector<zmq::message_t> frames;
  zmq::message_t first;
  if (!socket.recv(first, flags)) return false;
  bool more = first.more();
  frames.push_back(std::move(first));
  while (more) {
    zmq::message_t frame;
    (void)socket.recv(frame);
    more = frame.more();
    frames.push_back(std::move(frame));
  }
  size_t i = 0;
  out = Received{};
  if (router) out.routing_id = frames[i++].to_string();
  if (frames.size() != i + 2) {
    out.header_error =
        "expected 2 frames (header, payload), got " + std::to_string(frames.size() - i);
    return true;
  }
  zmq::message_t& head = frames[i];
  const char* user = zmq_msg_gets(head.handle(), "User-Id");
  if (user) out.user_id = user;
  out.source_fd = zmq_msg_get(head.handle(), ZMQ_SRCFD);
  try {
    out.header = decode_header(head.data(), head.size());
    out.header_ok = true;
  } catch (const WireError& e) {
    out.header_error = e.what();
  }
  out.payload = std::move(frames[i + 1]);
  return true;
}

bool receive_monitor_event(zmq::socket_t& monitor, MonitorEvent& out) {
  while (true) {
    zmq::message_t event, address;
    if (!monitor.recv(event, zmq::recv_flags::dontwait)) return false;
    if (event.more()) (void)monitor.recv(address);
    if (event.size() < 6) continue;  // uint16 event id, uint32 value (the fd)
    uint32_t fd = 0;
    std::memcpy(&out.event, event.data(), 2);
    std::memcpy(&fd, static_cast<const char*>(event.data()) + 2, 4);
    out.fd = static_cast<int>(fd);
    return true;
  }
}

}  // namespace tpbench::wire
