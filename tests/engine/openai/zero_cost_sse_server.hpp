#pragma once
// A one-thread HTTP/1.1 server for benchmarking the client: every request (any method or path)
// gets a chunked text/event-stream of `events` OpenAI-shaped completion chunks, each written by
// its own send() with the steady clock's time just before the send in its "t" field, then
// `data: [DONE]`. interval_us 0 writes as fast as the sockets take it (round robin over the
// open streams); otherwise each stream sends one event per interval. Keep-alive: a connection
// serves request after request.
#include <cstdint>

namespace tpbench::bench {

struct ZeroCostServerConfig {
  int listen_fd = -1;  // bound and listening
  int events = 64;
  int64_t interval_us = 0;
  int text_bytes = 4;  // the "text" field's length, as a token's text
};

// Serves until the process is killed.
[[noreturn]] void serve_zero_cost_sse(const ZeroCostServerConfig& config);

// A listening socket on 127.0.0.1 and a free port; returns the fd and sets port.
int listen_on_loopback(int& port);

}  // namespace tpbench::bench
