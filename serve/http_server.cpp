#include "serve/http_server.hpp"

#include <csignal>
#include <iostream>
#include <vector>

#include "common/error.hpp"
#include "common/log.hpp"
#include "serve/http_session.hpp"

namespace tpbench::serve {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

tcp::endpoint resolve(net::io_context& ioc, const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (!ec) return {address, port};
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty())
    throw InputError("--host " + host + ": cannot resolve it (" + ec.message() + ")");
  return *results.begin();
}

}  // namespace

HttpServer::HttpServer(net::io_context& ioc, const std::string& host, uint16_t port,
                       const ServedModel& model, double grace_s)
    : ioc_(ioc),
      host_(host),
      acceptor_(ioc),
      signals_(ioc, SIGINT, SIGTERM),
      grace_timer_(ioc),
      model_(model),
      grace_s_(grace_s) {
  const tcp::endpoint endpoint = resolve(ioc, host, port);
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw InputError("--port " + std::to_string(port) + ": cannot listen on " + host + ":" +
                     std::to_string(port) + " (" + ec.message() + ")");
}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const {
  return acceptor_.local_endpoint().port();
}

void HttpServer::run(GenerationService& service) {
  service_ = &service;
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (!ec) on_signal(signo);
  });
  accept();
  // A handler that throws must not take the server down: log it and go on serving.
  for (;;) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {
      log_error(std::string("tpbench_serve: a request handler failed: ") + e.what());
    }
  }
}

void HttpServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (stopping_) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      auto session = std::make_shared<HttpSession>(std::move(socket), *this);
      session->start();
    } else if (ec != net::error::operation_aborted) {
      // Out of descriptors and the like: the server goes on (the peer sees a reset).
      log_warn("tpbench_serve: accept: " + ec.message());
    }
    accept();
  });
}

void HttpServer::add(HttpSession* session, std::weak_ptr<HttpSession> handle) {
  sessions_.emplace(session, std::move(handle));
}

void HttpServer::remove(HttpSession* session) {
  sessions_.erase(session);
  maybe_finish();
}

void HttpServer::on_signal(int signo) {
  if (stopping_) {  // a second signal: no more grace
    abort_in_flight();
    return;
  }
  stopping_ = true;
  std::cerr << "tpbench_serve: " << (signo == SIGINT ? "SIGINT" : "SIGTERM") << ": draining "
            << sessions_.size() << " connection(s), grace " << grace_s_ << " s" << std::endl;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  std::vector<std::shared_ptr<HttpSession>> live;
  for (auto& [raw, weak] : sessions_)
    if (auto s = weak.lock()) live.push_back(std::move(s));
  for (auto& s : live) s->close_if_idle();
  signals_.async_wait([this](const boost::system::error_code& ec, int second) {
    if (!ec) on_signal(second);
  });
  grace_timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(grace_s_)));
  grace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) abort_in_flight();
  });
  maybe_finish();
}

void HttpServer::abort_in_flight() {
  std::vector<std::shared_ptr<HttpSession>> live;
  for (auto& [raw, weak] : sessions_)
    if (auto s = weak.lock()) live.push_back(std::move(s));
  for (auto& s : live) s->abort_request();
}

void HttpServer::maybe_finish() {
  if (!stopping_ || !sessions_.empty()) return;
  boost::system::error_code ignored;
  grace_timer_.cancel();
  signals_.cancel(ignored);
}

}  // namespace tpbench::serve
