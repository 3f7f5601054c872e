// Benchmark of the HTTP transport (HttpStreamClient) against zero_cost_sse_server in a forked
// child: body events per second of client CPU, and the client's added latency (the server's
// steady-clock stamp just before send() to libcurl's write callback; one host, one clock).
// Not a test: scripts/bench_http_client.sh runs it and docs/PERFORMANCE.md has the figures.
//
// bench_http_client [--streams C] [--requests N] [--events E] [--interval-us U] [--text-bytes B]
//                   [--latency] [--raw]
// --raw replaces HttpStreamClient by a bare epoll + recv() client that only finds the stamps and
// each response's end: the kernel's and the scheduler's share of the latency, for comparison.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "engine/openai/http_stream_client.hpp"
#include "tests/engine/openai/zero_cost_sse_server.hpp"

namespace tpbench::bench {
namespace {

struct Args {
  int streams = 256;
  int requests = 2048;
  int events = 64;
  int64_t interval_us = 0;
  int text_bytes = 4;
  bool latency = false;
  bool raw = false;  // the floor: a bare epoll + recv() client instead of HttpStreamClient
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> long long {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return std::atoll(argv[++i]);
    };
    if (flag == "--streams")
      args.streams = static_cast<int>(value());
    else if (flag == "--requests")
      args.requests = static_cast<int>(value());
    else if (flag == "--events")
      args.events = static_cast<int>(value());
    else if (flag == "--interval-us")
      args.interval_us = value();
    else if (flag == "--text-bytes")
      args.text_bytes = static_cast<int>(value());
    else if (flag == "--latency")
      args.latency = true;
    else if (flag == "--raw")
      args.raw = true;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return args;
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Counts SSE events ("\n\n" ends one) per piece, the least an SSE parser must do; in latency
// mode also reads each complete event's "t" stamp.
class BenchSink : public HttpStreamSink {
 public:
  BenchSink(const Args& args, HttpStreamClient*& client, const std::string& url)
      : args_(args),
        client_(client),
        url_(url),
        last_newline_(args.requests, 0),
        carry_(args.latency ? args.requests : 0) {
    if (args.latency) latencies_ns.reserve(static_cast<size_t>(args.requests) * args.events);
  }

  void start_next() {
    HttpRequest request;
    request.id = static_cast<uint64_t>(started++);
    request.url = url_;
    request.headers = {"Content-Type: application/json"};
    request.body = R"({"model":"bench","prompt":"hello","max_tokens":64,"stream":true})";
    request.timeout_ms = 600'000;
    client_->start(std::move(request));
  }

  void on_headers(uint64_t, long) override {}

  void on_body(uint64_t id, std::string_view bytes, int64_t arrival_ns) override {
    ++body_calls;
    body_bytes += bytes.size();
    char& previous = last_newline_[id];
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (bytes[i] == '\n') {
        if (previous) ++events;
        previous = 1;
      } else {
        previous = 0;
      }
    }
    if (args_.latency) read_stamps(carry_[id], bytes, arrival_ns);
  }

  void on_done(uint64_t id, const HttpOutcome& outcome) override {
    if (!outcome.ok()) {
      std::fprintf(stderr, "request %llu failed: %s\n", static_cast<unsigned long long>(id),
                   outcome.message.c_str());
      std::exit(1);
    }
    ++done;
    if (started < args_.requests) start_next();
  }

  int started = 0;
  int done = 0;
  long long body_calls = 0;
  long long body_bytes = 0;
  long long events = 0;  // content events and [DONE]
  std::vector<int64_t> latencies_ns;

 private:
  void read_stamps(std::string& carry, std::string_view bytes, int64_t arrival_ns) {
    carry.append(bytes);
    size_t start = 0;
    for (size_t end = carry.find("\n\n"); end != std::string::npos;
         end = carry.find("\n\n", start)) {
      const size_t t = carry.find("\"t\":", start);
      if (t != std::string::npos && t < end) {
        latencies_ns.push_back(arrival_ns - std::atoll(carry.c_str() + t + 4));
      }
      start = end + 2;
    }
    carry.erase(0, start);
  }

  const Args& args_;
  HttpStreamClient*& client_;
  std::string url_;
  std::vector<char> last_newline_;
  std::vector<std::string> carry_;
};

constexpr char kRawRequest[] =
    "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Content-Length: 2\r\n\r\n{}";

// The same counting as BenchSink on the raw bytes (chunk framing included), one connection per
// stream, keep-alive, closed loop.
struct RawCounts {
  int done = 0;
  long long reads = 0;
  long long bytes = 0;
  long long events = 0;
  std::vector<int64_t> latencies_ns;
};

void run_raw_client(const Args& args, int port, RawCounts& counts) {
  const int epoll_fd = epoll_create1(0);
  const int streams = std::min(args.streams, args.requests);
  std::vector<std::string> carry(static_cast<size_t>(streams));
  std::vector<int> fds;
  int started = 0;
  for (int i = 0; i < streams; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      std::perror("connect");
      std::exit(1);
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    fds.push_back(fd);
    send(fd, kRawRequest, sizeof(kRawRequest) - 1, MSG_NOSIGNAL);
    ++started;
  }
  std::vector<epoll_event> ready(1024);
  char buffer[65536];
  while (counts.done < args.requests) {
    const int n = epoll_wait(epoll_fd, ready.data(), static_cast<int>(ready.size()), 100);
    for (int r = 0; r < n; ++r) {
      const uint32_t stream = ready[r].data.u32;
      const ssize_t got = recv(fds[stream], buffer, sizeof(buffer), MSG_DONTWAIT);
      if (got <= 0) continue;
      const int64_t arrival_ns = steady_now_ns();
      ++counts.reads;
      counts.bytes += got;
      std::string& c = carry[stream];
      c.append(buffer, static_cast<size_t>(got));
      size_t start = 0;
      for (size_t end = c.find("\n\n"); end != std::string::npos; end = c.find("\n\n", start)) {
        ++counts.events;
        const size_t t = c.find("\"t\":", start);
        if (args.latency && t != std::string::npos && t < end) {
          counts.latencies_ns.push_back(arrival_ns - std::atoll(c.c_str() + t + 4));
        }
        start = end + 2;
      }
      c.erase(0, start);
      const size_t last = c.find("0\r\n\r\n");
      if (last != std::string::npos) {
        c.erase(0, last + 5);
        ++counts.done;
        if (started < args.requests) {
          send(fds[stream], kRawRequest, sizeof(kRawRequest) - 1, MSG_NOSIGNAL);
          ++started;
        }
      }
    }
  }
  for (int fd : fds) close(fd);
  close(epoll_fd);
}

double percentile_us(std::vector<int64_t>& values, double p) {
  if (values.empty()) return 0;
  const size_t k = std::min(values.size() - 1, static_cast<size_t>(p / 100.0 * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return static_cast<double>(values[k]) / 1000.0;
}

int run(const Args& args) {
  int port = 0;
  const int listen_fd = listen_on_loopback(port);
  const pid_t server = fork();
  if (server == 0) {
    serve_zero_cost_sse({listen_fd, args.events, args.interval_us, args.text_bytes});
  }
  close(listen_fd);

  HttpTransportOptions options;
  options.max_connections = args.streams;
  HttpStreamClient* client = nullptr;
  BenchSink sink(args, client, "http://127.0.0.1:" + std::to_string(port) + "/v1/completions");
  HttpStreamClient transport(options, sink);
  client = &transport;
  RawCounts raw;

  const double cpu_start = process_cpu_seconds();
  const int64_t wall_start = steady_now_ns();
  if (args.raw) {
    run_raw_client(args, port, raw);
    sink.body_calls = raw.reads;
    sink.body_bytes = raw.bytes;
    sink.events = raw.events;
    sink.latencies_ns = std::move(raw.latencies_ns);
  } else {
    for (int i = 0; i < std::min(args.streams, args.requests); ++i) sink.start_next();
    while (sink.done < args.requests) transport.poll(100);
  }
  const double wall = static_cast<double>(steady_now_ns() - wall_start) * 1e-9;
  const double cpu = process_cpu_seconds() - cpu_start;
  kill(server, SIGKILL);
  int status = 0;
  rusage server_usage{};
  wait4(server, &status, 0, &server_usage);
  const double server_cpu =
      static_cast<double>(server_usage.ru_utime.tv_sec + server_usage.ru_stime.tv_sec) +
      static_cast<double>(server_usage.ru_utime.tv_usec + server_usage.ru_stime.tv_usec) * 1e-6;

  const long long content_events = sink.events - args.requests;  // less the [DONE]s
  std::printf(
      "%s streams %d requests %d events/request %d interval_us %lld | wall %.3f s, client CPU %.3f "
      "s "
      "(%.0f%% of a core), server CPU %.3f s | content events %lld: %.0f/s wall, %.0f per client "
      "CPU s | "
      "body pieces %lld (%.2f events each), %.1f MB/s wall\n",
      args.raw ? "raw-recv" : "libcurl", args.streams, args.requests, args.events,
      static_cast<long long>(args.interval_us), wall, cpu, 100.0 * cpu / wall, server_cpu,
      content_events, content_events / wall, content_events / cpu, sink.body_calls,
      static_cast<double>(sink.events) / static_cast<double>(sink.body_calls),
      static_cast<double>(sink.body_bytes) / wall / 1e6);
  if (args.latency) {
    std::vector<int64_t>& l = sink.latencies_ns;
    const size_t samples = l.size();
    const double p50 = percentile_us(l, 50);
    const double p90 = percentile_us(l, 90);
    const double p99 = percentile_us(l, 99);
    const double max = percentile_us(l, 100);
    const int64_t least = *std::min_element(l.begin(), l.end());
    std::printf(
        "latency (server send -> %s), %zu events: P50 %.1f us, P90 %.1f us, "
        "P99 %.1f us, max %.1f us, min %.1f us\n",
        args.raw ? "recv() returned" : "write callback", samples, p50, p90, p99, max,
        static_cast<double>(least) / 1000.0);
  }
  return 0;
}

}  // namespace
}  // namespace tpbench::bench

int main(int argc, char** argv) {
  return tpbench::bench::run(tpbench::bench::parse(argc, argv));
}
