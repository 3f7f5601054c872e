#pragma once
// What the HTTP transport of --backend openai shares between its streaming client
// (http_stream_client.hpp) and its blocking GET (http_get.hpp): the connection options and how a
// transfer ended.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tpbench {

struct HttpTransportOptions {
  // Streams this client keeps in flight at most (the rank's concurrency). HTTP/1.1 holds one
  // connection per stream, so this sizes the connection cache and the open-file limit.
  int max_connections = 256;
  // Honour http_proxy/https_proxy/no_proxy from the environment (off: connect directly).
  bool use_proxy = false;
  // https without verifying the server's certificate and host name.
  bool insecure = false;
  // Connect phase only (each request's own timeout bounds the whole transfer). 0: libcurl's 300 s.
  int64_t connect_timeout_ms = 0;
};

enum class HttpMethod { kGet, kPost };

struct HttpRequest {
  uint64_t id = 0;
  std::string url;
  HttpMethod method = HttpMethod::kPost;
  std::vector<std::string> headers;  // "Name: value" lines
  std::string body;                  // sent as is for kPost
  int64_t timeout_ms = 0;            // whole transfer, connect to last byte; 0: none
};

enum class HttpOutcomeKind {
  kOk,              // the body ended as HTTP says it should, status < 400
  kConnectFailed,   // no connection: refused, unresolvable host, TLS handshake or certificate
  kConnectionLost,  // the connection failed after it was made: reset, send/receive error
  kStreamCut,       // the server closed before the body's end (chunked end or Content-Length)
  kHttpError,       // status >= 400; the body is in HttpOutcome::error_body
  kTimeout,         // the request's timeout_ms passed
  kOther,           // anything else libcurl reports (message says what)
};

std::string_view http_outcome_name(HttpOutcomeKind kind);

struct HttpOutcome {
  HttpOutcomeKind kind = HttpOutcomeKind::kOk;
  long http_status = 0;    // 0 when no status line arrived
  std::string message;     // one line for a failure: libcurl's text or the status, then the URL
  std::string error_body;  // kHttpError: the response body (the first 64 KiB), as sent
  bool reused_connection = false;  // no new connection was opened for this transfer
  bool ok() const { return kind == HttpOutcomeKind::kOk; }
};

}  // namespace tpbench
