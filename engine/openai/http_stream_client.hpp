#pragma once
// The streaming HTTP transport of --backend openai: thousands of requests on one thread, libcurl's
// multi interface driven by curl_multi_socket_action over an epoll set. It hands each response's
// raw body bytes, stamped with the steady clock when libcurl delivers them, to a sink; parsing
// SSE and OpenAI chunks is the caller's business.
//
// Single-threaded: construct, start(), cancel() and poll() on one thread. start() and cancel()
// may be called from inside the sink's callbacks (closed loop: start the next request from
// on_done); from on_headers/on_body they take effect before poll() returns.
#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/openai/http_transport.hpp"

namespace tpbench {

class HttpStreamSink {
 public:
  virtual ~HttpStreamSink() = default;
  // The final status line's code (1xx interim responses are not reported), once, before any body;
  // not at all when no response arrived (refused, reset before the status line, timeout).
  virtual void on_headers(uint64_t id, long http_status) = 0;
  // A piece of a status < 400 response's body as it arrived (steady_now_ns() in libcurl's write
  // callback). Pieces follow the network's reads: an SSE event can span pieces or share one.
  virtual void on_body(uint64_t id, std::string_view bytes, int64_t arrival_ns) = 0;
  // The last callback for this id. A status >= 400 body comes here (error_body), not to on_body.
  virtual void on_done(uint64_t id, const HttpOutcome& outcome) = 0;
};

class HttpStreamClient {
 public:
  // Raises the open-file soft limit to what options.max_connections needs; InputError when the
  // hard limit is too low. The sink must outlive the client.
  HttpStreamClient(const HttpTransportOptions& options, HttpStreamSink& sink);
  ~HttpStreamClient();
  HttpStreamClient(const HttpStreamClient&) = delete;
  HttpStreamClient& operator=(const HttpStreamClient&) = delete;

  // Queues a request; it starts on the next poll(). Ids must be unique among those in flight.
  void start(HttpRequest request);
  // Drops a request in flight without calling on_done; unknown ids are ignored.
  void cancel(uint64_t id);
  // Waits up to wait_ms (0: do not wait) for socket activity or libcurl's next timer, runs it,
  // and delivers callbacks. Returns the number of requests that finished (on_done calls).
  int poll(int wait_ms);
  // poll() until nothing is in flight or timeout_ms passes; true when nothing is in flight.
  bool run_until_idle(int64_t timeout_ms);
  // Requests started and not yet done or cancelled.
  size_t in_flight() const { return transfers_.size() + pending_.size(); }

 private:
  struct Transfer;
  static int on_socket(void* easy, int fd, int what, void* self, void* socket_data);
  static int on_timer(void* multi, long timeout_ms, void* self);
  static size_t on_header_line(char* data, size_t size, size_t count, void* transfer);
  static size_t on_write(char* data, size_t size, size_t count, void* transfer);

  void add_pending();
  void remove_cancelled();
  void drain_finished(int& finished);
  void socket_action(int fd, int events);
  void release(Transfer* transfer);
  void rethrow_callback_error();

  HttpTransportOptions options_;
  HttpStreamSink& sink_;
  void* multi_ = nullptr;  // CURLM*
  int epoll_fd_ = -1;
  int64_t timer_deadline_ns_ = -1;  // libcurl's next timeout; -1: none
  bool in_curl_ = false;            // inside curl_multi_socket_action (callbacks must not re-enter)
  std::vector<HttpRequest> pending_;
  std::vector<uint64_t> cancelled_;
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::vector<void*> idle_handles_;    // CURL* easy handles kept for the next request
  std::exception_ptr callback_error_;  // thrown by the sink inside a libcurl callback
};

}  // namespace tpbench
