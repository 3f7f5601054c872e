#include "engine/openai/http_stream_client.hpp"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "engine/openai/curl_transfer_setup.hpp"
#include "engine/openai/open_file_limit.hpp"

namespace tpbench {

namespace {

constexpr size_t kErrorBodyLimit = 64 * 1024;
constexpr int kEpollBatch = 256;

void check_multi(CURLMcode code, const char* what) {
  if (code != CURLM_OK) {
    throw InternalError(std::string(what) + ": " + curl_multi_strerror(code));
  }
}

}  // namespace

struct HttpStreamClient::Transfer {
  HttpStreamClient* client = nullptr;
  HttpRequest request;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  long status = 0;
  bool headers_reported = false;
  bool cancelled = false;
  std::string error_body;
  char error_text[CURL_ERROR_SIZE] = {};

  void report_headers() {
    headers_reported = true;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    client->sink_.on_headers(request.id, status);
  }
};

HttpStreamClient::HttpStreamClient(const HttpTransportOptions& options, HttpStreamSink& sink)
    : options_(options), sink_(sink) {
  if (options_.max_connections < 1) {
    throw InputError("HTTP client: max_connections must be >= 1, got " +
                     std::to_string(options_.max_connections));
  }
  ensure_open_file_limit(options_.max_connections);
  curl_global_init_once();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw InternalError(std::string("epoll_create1: ") + std::strerror(errno));
  multi_ = curl_multi_init();
  if (multi_ == nullptr) {
    close(epoll_fd_);
    throw InternalError("curl_multi_init failed");
  }
  CURLM* multi = static_cast<CURLM*>(multi_);
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &HttpStreamClient::on_socket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &HttpStreamClient::on_timer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  // Every stream's connection stays cached for the next request (keep-alive) ...
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
  // ... and none waits for another: no per-host or total cap (0 = unlimited), said explicitly.
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_NOTHING));
}

HttpStreamClient::~HttpStreamClient() {
  CURLM* multi = static_cast<CURLM*>(multi_);
  for (auto& [id, transfer] : transfers_) {
    curl_multi_remove_handle(multi, transfer->easy);
    curl_easy_cleanup(transfer->easy);
    curl_slist_free_all(transfer->headers);
  }
  for (void* easy : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(easy));
  curl_multi_cleanup(multi);
  close(epoll_fd_);
}

void HttpStreamClient::start(HttpRequest request) {
  pending_.push_back(std::move(request));
}

void HttpStreamClient::cancel(uint64_t id) {
  auto queued = std::find_if(pending_.begin(), pending_.end(),
                             [id](const HttpRequest& r) { return r.id == id; });
  if (queued != pending_.end()) {
    pending_.erase(queued);
    return;
  }
  auto it = transfers_.find(id);
  if (it == transfers_.end() || it->second->cancelled) return;
  it->second->cancelled = true;
  // Inside libcurl's callbacks the handle cannot be removed yet: poll() does it on return.
  if (in_curl_) {
    cancelled_.push_back(id);
  } else {
    release(it->second.get());
  }
}

int HttpStreamClient::on_socket(void* /*easy*/, int fd, int what, void* self_ptr,
                                void* socket_data) {
  auto* self = static_cast<HttpStreamClient*>(self_ptr);
  if (what == CURL_POLL_REMOVE) {
    // libcurl may already have closed the descriptor; a failed DEL is harmless then.
    epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    curl_multi_assign(static_cast<CURLM*>(self->multi_), fd, nullptr);
    return 0;
  }
  epoll_event event{};
  event.data.fd = fd;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) event.events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) event.events |= EPOLLOUT;
  const bool known = socket_data != nullptr;
  int done = epoll_ctl(self->epoll_fd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
  if (done != 0 && (errno == EEXIST || errno == ENOENT)) {  // our record and epoll's disagree
    done = epoll_ctl(self->epoll_fd_, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
  }
  if (done != 0) return -1;  // libcurl fails the transfers on this socket
  if (!known) curl_multi_assign(static_cast<CURLM*>(self->multi_), fd, self);
  return 0;
}

int HttpStreamClient::on_timer(void* /*multi*/, long timeout_ms, void* self_ptr) {
  auto* self = static_cast<HttpStreamClient*>(self_ptr);
  self->timer_deadline_ns_ = timeout_ms < 0 ? -1 : steady_now_ns() + timeout_ms * 1'000'000;
  return 0;
}

size_t HttpStreamClient::on_header_line(char* data, size_t size, size_t count, void* ptr) {
  auto* transfer = static_cast<Transfer*>(ptr);
  const size_t bytes = size * count;
  const bool end_of_block =
      (bytes == 2 && data[0] == '\r' && data[1] == '\n') || (bytes == 1 && data[0] == '\n');
  if (!end_of_block || transfer->headers_reported || transfer->cancelled) return bytes;
  long status = 0;
  curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 100 && status < 200) return bytes;  // an interim response; the real one follows
  try {
    transfer->report_headers();
  } catch (...) {
    transfer->client->callback_error_ = std::current_exception();
    return 0;
  }
  return bytes;
}

size_t HttpStreamClient::on_write(char* data, size_t size, size_t count, void* ptr) {
  const int64_t arrival_ns = steady_now_ns();
  auto* transfer = static_cast<Transfer*>(ptr);
  const size_t bytes = size * count;
  if (transfer->cancelled) return 0;
  try {
    if (!transfer->headers_reported) transfer->report_headers();
    if (transfer->status >= 400) {
      const size_t room = kErrorBodyLimit - std::min(kErrorBodyLimit, transfer->error_body.size());
      transfer->error_body.append(data, std::min(room, bytes));
    } else if (!transfer->cancelled) {
      transfer->client->sink_.on_body(transfer->request.id, std::string_view(data, bytes),
                                      arrival_ns);
    }
  } catch (...) {
    transfer->client->callback_error_ = std::current_exception();
    return 0;
  }
  return bytes;
}

void HttpStreamClient::add_pending() {
  if (pending_.empty()) return;
  std::vector<HttpRequest> requests;
  requests.swap(pending_);
  for (HttpRequest& request : requests) {
    if (transfers_.count(request.id) != 0) {
      throw InternalError("HTTP client: request id " + std::to_string(request.id) +
                          " is already in flight");
    }
    auto transfer = std::make_unique<Transfer>();
    transfer->client = this;
    transfer->request = std::move(request);
    CURL* easy;
    if (idle_handles_.empty()) {
      easy = curl_easy_init();
      if (easy == nullptr) throw InternalError("curl_easy_init failed");
    } else {
      easy = static_cast<CURL*>(idle_handles_.back());
      idle_handles_.pop_back();
      curl_easy_reset(easy);
    }
    transfer->easy = easy;
    apply_transport_options(easy, options_);
    apply_request(easy, transfer->request, transfer->headers);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error_text);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpStreamClient::on_header_line);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpStreamClient::on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
    const uint64_t id = transfer->request.id;
    transfers_.emplace(id, std::move(transfer));
    check_multi(curl_multi_add_handle(static_cast<CURLM*>(multi_), easy), "curl_multi_add_handle");
  }
}

void HttpStreamClient::release(Transfer* transfer) {
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), transfer->easy);
  curl_slist_free_all(transfer->headers);
  idle_handles_.push_back(transfer->easy);
  transfers_.erase(transfer->request.id);
}

void HttpStreamClient::remove_cancelled() {
  for (uint64_t id : cancelled_) {
    auto it = transfers_.find(id);
    if (it != transfers_.end() && it->second->cancelled) release(it->second.get());
  }
  cancelled_.clear();
}

void HttpStreamClient::drain_finished(int& finished) {
  CURLM* multi = static_cast<CURLM*>(multi_);
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    Transfer* transfer = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
    const CURLcode result = message->data.result;
    if (transfer->cancelled) {
      release(transfer);
      continue;
    }
    HttpOutcome outcome = classify_transfer(transfer->easy, result, transfer->error_text,
                                            transfer->request.url, transfer->request.timeout_ms);
    if (outcome.kind == HttpOutcomeKind::kHttpError) outcome.error_body.swap(transfer->error_body);
    const uint64_t id = transfer->request.id;
    release(transfer);  // before on_done, which may start a request with the same id
    ++finished;
    sink_.on_done(id, outcome);
  }
}

void HttpStreamClient::socket_action(int fd, int events) {
  int running = 0;
  in_curl_ = true;
  const CURLMcode code =
      curl_multi_socket_action(static_cast<CURLM*>(multi_), fd, events, &running);
  in_curl_ = false;
  check_multi(code, "curl_multi_socket_action");
}

void HttpStreamClient::rethrow_callback_error() {
  if (callback_error_) {
    std::exception_ptr error = callback_error_;
    callback_error_ = nullptr;
    std::rethrow_exception(error);
  }
}

int HttpStreamClient::poll(int wait_ms) {
  add_pending();
  int timeout = std::max(wait_ms, 0);
  if (timer_deadline_ns_ >= 0) {
    const int64_t until_timer_ns = timer_deadline_ns_ - steady_now_ns();
    const int64_t until_timer_ms = until_timer_ns <= 0 ? 0 : (until_timer_ns + 999'999) / 1'000'000;
    timeout = static_cast<int>(std::min<int64_t>(timeout, until_timer_ms));
  }
  epoll_event events[kEpollBatch];
  int ready = epoll_wait(epoll_fd_, events, kEpollBatch, timeout);
  if (ready < 0 && errno != EINTR) {
    throw InternalError(std::string("epoll_wait: ") + std::strerror(errno));
  }
  for (int i = 0; i < ready; ++i) {
    int mask = 0;
    if (events[i].events & EPOLLIN) mask |= CURL_CSELECT_IN;
    if (events[i].events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
    if (events[i].events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
    socket_action(events[i].data.fd, mask);
  }
  if (timer_deadline_ns_ >= 0 && steady_now_ns() >= timer_deadline_ns_) {
    timer_deadline_ns_ = -1;
    socket_action(CURL_SOCKET_TIMEOUT, 0);
  }
  remove_cancelled();
  int finished = 0;
  drain_finished(finished);
  rethrow_callback_error();
  return finished;
}

bool HttpStreamClient::run_until_idle(int64_t timeout_ms) {
  const int64_t deadline_ns = steady_now_ns() + timeout_ms * 1'000'000;
  while (in_flight() > 0) {
    const int64_t left_ms = (deadline_ns - steady_now_ns()) / 1'000'000;
    if (left_ms <= 0) return false;
    poll(static_cast<int>(std::min<int64_t>(left_ms, 100)));
  }
  return true;
}

}  // namespace tpbench
