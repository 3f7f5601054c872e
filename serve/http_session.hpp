#pragma once
// One HTTP/1.1 connection: reads a request, answers it (a whole JSON body, or an SSE stream
// written as chunks while the engine produces tokens), then reads the next (keep-alive). All of
// it runs on the server's io thread; the dispatcher thread's callbacks are posted there.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>
#include <string>

#include "serve/api_error.hpp"
#include "serve/completion.hpp"
#include "serve/generation_service.hpp"

namespace tpbench::serve {

class HttpServer;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, HttpServer& server);
  ~HttpSession();

  void start();
  // Server stopping: close now when waiting for a request, else after the current response.
  void close_if_idle();
  // Grace period over: end the current request with an error and close.
  void abort_request();

 private:
  enum class State { kReading, kBusy, kClosed };

  void read_request();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_request(boost::beast::error_code ec);
  void dispatch();
  void start_generation(openai::Endpoint endpoint);

  void send(unsigned status, std::string body, const char* content_type = "application/json");
  void send_error(const ApiError& error);
  void finish_request();
  void close();

  // While a request generates: a client that hangs up (EOF or an error on its socket) cancels
  // it, whether or not it streams. Bytes of a next, pipelined request stop the watch and stay
  // in the socket for the next read.
  void watch_for_hang_up(uint64_t id);
  void on_token(uint64_t id, int32_t token, bool last);
  void on_done(uint64_t id, bool ok, const std::string& reason);
  void complete_generation();
  void stream(std::string frames, bool last);
  void write_pending();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  HttpServer& server_;
  State state_ = State::kReading;
  bool keep_alive_ = true;
  bool http11_ = true;
  std::string continue_line_;

  // A whole response being written.
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;

  // The current generation.
  std::optional<Completion> completion_;
  bool streaming_ = false;
  bool generating_ = false;  // the service may still call back
  uint64_t generation_id_ = 0;
  int replica_ = -1;  // the replica generating it (the X-Tpbench-Replica header)
  // The SSE stream: bytes waiting, the write in progress, whether the last frame is queued.
  std::string header_pending_;  // the response header, written with the first chunk
  std::string pending_;
  std::string inflight_;
  bool writing_ = false;
  bool header_written_ = false;
  bool stream_ended_ = false;
};

}  // namespace tpbench::serve
