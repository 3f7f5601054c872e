#pragma once
// The HTTP/1.1 server: one io_context on one thread accepts connections and runs every
// session's reads and writes asynchronously (no thread per connection). SIGTERM or SIGINT
// stops accepting, closes idle keep-alive connections, lets in-flight requests finish for the
// grace period, then ends each remaining one with an error (an SSE error frame on a stream, a
// 503 otherwise); run() returns when the last connection is gone.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "serve/generation_service.hpp"
#include "serve/served_model.hpp"

namespace tpbench::serve {

class HttpSession;

class HttpServer {
 public:
  // Binds host:port (port 0: a free one). Throws InputError naming --host/--port when it cannot.
  HttpServer(boost::asio::io_context& ioc, const std::string& host, uint16_t port,
             const ServedModel& model, double grace_s);
  ~HttpServer();

  uint16_t port() const;
  std::string host() const { return host_; }
  // Accepts and serves, generating through service, until a signal has drained every
  // connection. Runs the io_context on the calling thread.
  void run(GenerationService& service);

  // For sessions (io thread only).
  const ServedModel& model() const { return model_; }
  GenerationService& service() { return *service_; }
  boost::asio::io_context& io() { return ioc_; }
  bool stopping() const { return stopping_; }
  uint64_t next_response_number() { return next_response_number_++; }
  void add(HttpSession* session, std::weak_ptr<HttpSession> handle);
  void remove(HttpSession* session);

 private:
  void accept();
  void on_signal(int signo);
  void abort_in_flight();
  void maybe_finish();

  boost::asio::io_context& ioc_;
  std::string host_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer grace_timer_;
  const ServedModel& model_;
  GenerationService* service_ = nullptr;
  double grace_s_;
  bool stopping_ = false;
  uint64_t next_response_number_ = 1;
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions_;
};

}  // namespace tpbench::serve
