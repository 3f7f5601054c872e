#include "tests/engine/openai/zero_cost_sse_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"

namespace tpbench::bench {

namespace {

struct Connection {
  std::string in;        // received, not yet consumed
  std::string out;       // to send
  int events_left = -1;  // -1: waiting for a request
  int64_t next_due_ns = 0;
};

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::_Exit(1);
}

// Bytes a request takes in `in` (headers + Content-Length body), or 0 while incomplete.
size_t complete_request_size(const std::string& in) {
  const size_t header_end = in.find("\r\n\r\n");
  if (header_end == std::string::npos) return 0;
  size_t body = 0;
  for (size_t line = in.find("\r\n"); line < header_end; line = in.find("\r\n", line + 2)) {
    constexpr char kName[] = "content-length:";
    if (strncasecmp(in.c_str() + line + 2, kName, sizeof(kName) - 1) == 0) {
      body = std::strtoull(in.c_str() + line + 2 + sizeof(kName) - 1, nullptr, 10);
    }
  }
  const size_t total = header_end + 4 + body;
  return in.size() >= total ? total : 0;
}

void append_chunk(std::string& out, const std::string& data) {
  char size_line[32];
  const int n = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", data.size());
  out.append(size_line, n);
  out += data;
  out += "\r\n";
}

// false when the peer is gone.
bool flush(int fd, Connection& c) {
  while (!c.out.empty()) {
    const ssize_t sent = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    c.out.erase(0, static_cast<size_t>(sent));
  }
  return true;
}

}  // namespace

int listen_on_loopback(int& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) die("bind");
  if (listen(fd, 4096) != 0) die("listen");
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

void serve_zero_cost_sse(const ZeroCostServerConfig& config) {
  const int epoll_fd = epoll_create1(0);
  if (epoll_fd < 0) die("epoll_create1");
  epoll_event listen_event{};
  listen_event.events = EPOLLIN;
  listen_event.data.fd = config.listen_fd;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, config.listen_fd, &listen_event);
  const std::string text(static_cast<size_t>(config.text_bytes), 'x');
  const std::string event_head =
      "data: "
      "{\"id\":\"cmpl-bench\",\"object\":\"text_completion\",\"created\":0,\"model\":\"bench\","
      "\"choices\":[{\"index\":0,\"text\":\"" +
      text + "\",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null,\"t\":";
  const std::string response_head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  const int64_t interval_ns = config.interval_us * 1000;
  std::unordered_map<int, Connection> connections;
  std::vector<epoll_event> ready(1024);

  while (true) {
    // Sleep only while no stream is due and nothing waits to be sent.
    int64_t now = steady_now_ns();
    int64_t wait_ns = -1;
    for (auto& [fd, c] : connections) {
      if (!c.out.empty()) wait_ns = 0;
      if (c.events_left >= 0) {
        const int64_t until = std::max<int64_t>(0, c.next_due_ns - now);
        wait_ns = wait_ns < 0 ? until : std::min(wait_ns, until);
      }
    }
    const int timeout_ms = wait_ns < 0 ? -1 : static_cast<int>(wait_ns / 1'000'000);
    const int n = epoll_wait(epoll_fd, ready.data(), static_cast<int>(ready.size()), timeout_ms);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == config.listen_fd) {
        int client;
        while ((client = accept4(config.listen_fd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          const int one = 1;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          epoll_event event{};
          event.events = EPOLLIN;
          event.data.fd = client;
          epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &event);
          connections.emplace(client, Connection{});
        }
        continue;
      }
      Connection& c = connections[fd];
      char buffer[65536];
      bool gone = false;
      while (true) {
        const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
        if (got > 0) {
          c.in.append(buffer, static_cast<size_t>(got));
          continue;
        }
        gone = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        break;
      }
      if (gone) {
        close(fd);
        connections.erase(fd);
      }
    }
    now = steady_now_ns();
    for (auto it = connections.begin(); it != connections.end();) {
      const int fd = it->first;
      Connection& c = it->second;
      if (c.events_left < 0) {
        const size_t request = complete_request_size(c.in);
        if (request > 0) {
          c.in.erase(0, request);
          c.out += response_head;
          c.events_left = config.events;
          c.next_due_ns = now;
        }
      }
      if (c.events_left >= 0 && c.out.empty() && c.next_due_ns <= now) {
        if (c.events_left > 0) {
          const int64_t stamp = steady_now_ns();
          append_chunk(c.out, event_head + std::to_string(stamp) + "}\n\n");
          --c.events_left;
          c.next_due_ns = interval_ns > 0 ? c.next_due_ns + interval_ns : now;
        } else {
          append_chunk(c.out, "data: [DONE]\n\n");
          c.out += "0\r\n\r\n";
          c.events_left = -1;
        }
      }
      if (!flush(fd, c)) {
        close(fd);
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace tpbench::bench
