#include "serve/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/version.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "serve/http_server.hpp"

namespace tpbench::serve {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr uint64_t kBodyLimit = 64ull << 20;

std::string chunk_size_line(size_t size) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx\r\n", size);
  return buf;
}

// Keeps a session alive for the dispatcher thread's callbacks, and lets the last reference go on
// the io thread (a session must never be destroyed on the dispatcher thread).
struct IoThreadOwned {
  net::io_context& io;
  std::shared_ptr<HttpSession> session;
  ~IoThreadOwned() {
    net::post(io, [s = std::move(session)] {});
  }
};

std::string models_body(const ServedModel& model) {
  nlohmann::json card = {{"id", model.name},      {"object", "model"},  {"created", model.created},
                         {"owned_by", "tpbench"}, {"root", model.name}, {"parent", nullptr}};
  if (model.max_context > 0) card["max_model_len"] = model.max_context;
  return nlohmann::json{{"object", "list"}, {"data", nlohmann::json::array({card})}}.dump();
}

std::string replicas_body(const std::vector<ReplicaCounters>& replicas) {
  nlohmann::json list = nlohmann::json::array();
  for (const ReplicaCounters& r : replicas)
    list.push_back({{"replica", r.replica},
                    {"leader_rank", r.leader_rank},
                    {"state", name_of(r.state)},
                    {"failure", r.failure.empty() ? nlohmann::json() : nlohmann::json(r.failure)},
                    {"in_flight", r.in_flight},
                    {"requests", r.requests},
                    {"tokens", r.tokens},
                    {"cancelled", r.cancelled},
                    {"failures", r.failures}});
  return nlohmann::json{{"replicas", std::move(list)}}.dump();
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, HttpServer& server)
    : stream_(std::move(socket)), server_(server) {}

HttpSession::~HttpSession() {
  server_.remove(this);
}

void HttpSession::start() {
  server_.add(this, weak_from_this());
  read_request();
}

void HttpSession::read_request() {
  state_ = State::kReading;
  parser_.emplace();
  parser_->body_limit(kBodyLimit);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        state_ == State::kClosed) {
      close();
      return;
    }
    keep_alive_ = false;
    state_ = State::kBusy;
    send_error({400, "malformed HTTP request: " + ec.message()});
    return;
  }
  state_ = State::kBusy;
  const auto& header = parser_->get();
  auto expect = header.find(http::field::expect);
  if (expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
    // curl sends Expect: 100-continue for larger bodies and waits a second without this.
    continue_line_ = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(stream_, net::buffer(continue_line_),
                     [self = shared_from_this()](beast::error_code write_ec, size_t) {
                       if (write_ec) return self->close();
                       self->read_body();
                     });
    return;
  }
  read_body();
}

void HttpSession::read_body() {
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
}

void HttpSession::on_request(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    keep_alive_ = false;
    send_error({413, "the request body exceeds " + std::to_string(kBodyLimit) + " bytes"});
    return;
  }
  if (ec) {
    close();
    return;
  }
  dispatch();
}

void HttpSession::dispatch() {
  const auto& request = parser_->get();
  keep_alive_ = request.keep_alive();
  http11_ = request.version() >= 11;
  if (server_.stopping()) {
    keep_alive_ = false;
    send_error({503, "the server is shutting down"});
    return;
  }
  std::string_view target(request.target().data(), request.target().size());
  target = target.substr(0, target.find('?'));
  const auto method = request.method();
  auto only = [&](http::verb verb) {
    if (method == verb) return true;
    send_error({405, "method " + std::string(request.method_string()) + " is not allowed on " +
                         std::string(target)});
    return false;
  };
  if (target == "/health") {
    if (only(http::verb::get)) send(200, "", "text/plain");
  } else if (target == "/tpbench/replicas") {
    if (only(http::verb::get)) send(200, replicas_body(server_.service().counters()));
  } else if (target == "/v1/models") {
    if (only(http::verb::get)) send(200, models_body(server_.model()));
  } else if (auto endpoint = openai::endpoint_from_path(target)) {
    if (only(http::verb::post)) start_generation(*endpoint);
  } else {
    send_error({404, "no route " + std::string(target)});
  }
}

void HttpSession::start_generation(openai::Endpoint endpoint) {
  auto parsed = parse_api_request(parser_->get().body(), endpoint);
  if (auto* error = std::get_if<ApiError>(&parsed)) return send_error(*error);
  const ApiRequest& request = std::get<ApiRequest>(parsed);
  const ServedModel& model = server_.model();
  std::variant<PreparedRequest, ApiError> prepared;
  try {
    prepared = prepare_request(request, model);
  } catch (const std::exception& e) {
    return send_error({400, std::string("cannot tokenize the prompt: ") + e.what()});
  }
  if (auto* error = std::get_if<ApiError>(&prepared)) return send_error(*error);
  PreparedRequest& p = std::get<PreparedRequest>(prepared);

  const bool chat = endpoint == openai::Endpoint::kChatCompletions;
  ResponseIdentity identity{
      (chat ? "chatcmpl-" : "cmpl-") + std::to_string(server_.next_response_number()), model.name,
      model.created};
  EngineRequest engine_request;
  engine_request.prompt = p.prompt;
  engine_request.max_new_tokens = p.max_tokens;
  engine_request.min_new_tokens = p.min_tokens;
  engine_request.stop_token_ids = p.stop_token_ids;
  engine_request.sampling = p.sampling;
  completion_.emplace(std::move(identity), request, std::move(p.prompt), p.max_tokens,
                      std::move(p.stop_token_ids), *model.tokenizer);
  streaming_ = request.stream;
  stream_ended_ = false;
  header_written_ = false;
  pending_.clear();

  auto owner = std::make_shared<IoThreadOwned>(IoThreadOwned{server_.io(), shared_from_this()});
  generating_ = true;
  const GenerationService::Submitted submitted = server_.service().submit(
      std::move(engine_request),
      [owner](uint64_t id, int32_t token, bool finished, int64_t) {
        net::post(owner->io,
                  [s = owner->session, id, token, finished] { s->on_token(id, token, finished); });
      },
      [owner](uint64_t id, bool ok, const std::string& reason) {
        net::post(owner->io, [s = owner->session, id, ok, reason] { s->on_done(id, ok, reason); });
      });
  generation_id_ = submitted.id;
  replica_ = submitted.replica;
  if (streaming_) stream(completion_->opening_frames(), false);
  if (generating_) watch_for_hang_up(generation_id_);
}

void HttpSession::watch_for_hang_up(uint64_t id) {
  stream_.socket().async_wait(
      net::ip::tcp::socket::wait_read, [self = shared_from_this(), id](beast::error_code ec) {
        if (ec == net::error::operation_aborted || self->state_ == State::kClosed) return;
        if (!self->generating_ || self->generation_id_ != id) return;
        if (!ec) {
          char byte = 0;
          beast::error_code peek_ec;
          const size_t n = self->stream_.socket().receive(
              net::buffer(&byte, 1), net::ip::tcp::socket::message_peek, peek_ec);
          if (!peek_ec && n > 0) return;  // a pipelined request: the client is still there
        }
        self->close();  // cancels the generation
      });
}

// A request's callbacks may still be queued when the next request on this connection has
// started (the engine posts its last token and its end separately): each carries its id.
void HttpSession::on_token(uint64_t id, int32_t token, bool last) {
  if (!generating_ || !completion_ || id != generation_id_) return;
  std::string frames = completion_->add_token(token, last);
  if (streaming_ && !frames.empty()) stream(std::move(frames), false);
  if (completion_->finished()) {
    // An engine that went on past a stop id or max_tokens is told to stop.
    if (!last) server_.service().cancel(generation_id_);
    generating_ = false;
    complete_generation();
  }
}

void HttpSession::on_done(uint64_t id, bool ok, const std::string& reason) {
  if (!generating_ || !completion_ || id != generation_id_) return;
  generating_ = false;
  if (ok) {
    complete_generation();
    return;
  }
  const ApiError error{500, "generation failed: " + reason};
  if (streaming_) {
    stream(sse_error(error), true);
  } else {
    completion_.reset();
    send_error(error);
  }
}

void HttpSession::complete_generation() {
  if (streaming_) {
    stream(completion_->closing_frames(), true);
  } else {
    std::string body = completion_->response_body();
    completion_.reset();
    send(200, std::move(body));
  }
}

void HttpSession::abort_request() {
  if (state_ != State::kBusy) {
    close();
    return;
  }
  keep_alive_ = false;
  if (!completion_ || stream_ended_) return;  // its answer is being written
  if (generating_) {
    server_.service().cancel(generation_id_);
    generating_ = false;
  }
  const ApiError error{503, "the server is shutting down"};
  if (streaming_) {
    stream(sse_error(error), true);
  } else {
    completion_.reset();
    send_error(error);
  }
}

void HttpSession::close_if_idle() {
  if (state_ == State::kReading) {
    close();
  } else {
    keep_alive_ = false;
  }
}

// SSE over chunked transfer encoding (HTTP/1.0: raw bytes, then the connection closes).
void HttpSession::stream(std::string frames, bool last) {
  if (!header_written_) {
    header_written_ = true;
    std::string header =
        "HTTP/1.1 200 OK\r\n"
        "Server: tpbench_serve\r\n"
        "Content-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-cache\r\n";
    if (replica_ >= 0) header += "X-Tpbench-Replica: " + std::to_string(replica_) + "\r\n";
    if (!http11_) keep_alive_ = false;
    header += http11_ ? "Transfer-Encoding: chunked\r\n" : "";
    header += keep_alive_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    header_pending_ = std::move(header);
  }
  pending_ += frames;
  if (last) stream_ended_ = true;
  write_pending();
}

void HttpSession::write_pending() {
  if (writing_ || state_ == State::kClosed) return;
  std::string out = std::move(header_pending_);
  header_pending_.clear();
  if (!pending_.empty()) {
    if (http11_) {
      out += chunk_size_line(pending_.size());
      out += pending_;
      out += "\r\n";
    } else {
      out += pending_;
    }
    pending_.clear();
  }
  const bool ending = stream_ended_;
  if (ending && http11_) out += "0\r\n\r\n";
  if (out.empty()) return;
  inflight_ = std::move(out);
  writing_ = true;
  net::async_write(stream_, net::buffer(inflight_),
                   [self = shared_from_this(), ending](beast::error_code ec, size_t) {
                     self->writing_ = false;
                     if (ec) {
                       if (self->generating_) {
                         self->server_.service().cancel(self->generation_id_);
                         self->generating_ = false;
                       }
                       self->close();
                       return;
                     }
                     if (ending && self->pending_.empty()) {
                       self->completion_.reset();
                       self->finish_request();
                       return;
                     }
                     self->write_pending();
                   });
}

void HttpSession::send(unsigned status, std::string body, const char* content_type) {
  auto response = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(status), http11_ ? 11 : 10);
  response->set(http::field::server, "tpbench_serve");
  response->set(http::field::content_type, content_type);
  if (replica_ >= 0) response->set("X-Tpbench-Replica", std::to_string(replica_));
  response->keep_alive(keep_alive_ && !server_.stopping());
  response->body() = std::move(body);
  response->prepare_payload();
  response_ = response;
  http::async_write(stream_, *response_, [self = shared_from_this()](beast::error_code ec, size_t) {
    self->response_.reset();
    if (ec) return self->close();
    self->finish_request();
  });
}

void HttpSession::send_error(const ApiError& error) {
  send(static_cast<unsigned>(error.status), error.body());
}

void HttpSession::finish_request() {
  replica_ = -1;
  streaming_ = false;
  header_written_ = false;
  stream_ended_ = false;
  if (!keep_alive_ || server_.stopping()) {
    close();
    return;
  }
  read_request();
}

void HttpSession::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (generating_) {
    server_.service().cancel(generation_id_);
    generating_ = false;
  }
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace tpbench::serve
