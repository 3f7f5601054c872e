// The HTTP transport of --backend openai against a real local server (sse_test_server.py):
// streams with known delays, 1,000 concurrent streams on one thread, keep-alive reuse, and each
// failure a request can meet.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "engine/openai/http_get.hpp"
#include "engine/openai/http_stream_client.hpp"
#include "tests/engine/openai/http_test_server.hpp"

namespace tpbench {
namespace {

struct Piece {
  std::string bytes;
  int64_t arrival_ns;
};

struct Recorded {
  std::vector<long> statuses;  // one entry per on_headers call
  std::vector<Piece> pieces;
  bool body_before_headers = false;
  int done_calls = 0;
  HttpOutcome outcome;

  std::string body() const {
    std::string all;
    for (const Piece& piece : pieces) all += piece.bytes;
    return all;
  }
};

class RecordingSink : public HttpStreamSink {
 public:
  std::map<uint64_t, Recorded> by_id;
  std::function<void(uint64_t, std::string_view)> after_body;
  std::function<void(uint64_t, const HttpOutcome&)> after_done;

  void on_headers(uint64_t id, long http_status) override {
    by_id[id].statuses.push_back(http_status);
  }
  void on_body(uint64_t id, std::string_view bytes, int64_t arrival_ns) override {
    Recorded& r = by_id[id];
    if (r.statuses.empty()) r.body_before_headers = true;
    r.pieces.push_back({std::string(bytes), arrival_ns});
    if (after_body) after_body(id, bytes);
  }
  void on_done(uint64_t id, const HttpOutcome& outcome) override {
    Recorded& r = by_id[id];
    ++r.done_calls;
    r.outcome = outcome;
    if (after_done) after_done(id, outcome);
  }
};

HttpRequest get_request(uint64_t id, std::string url, int64_t timeout_ms = 30'000) {
  HttpRequest request;
  request.id = id;
  request.url = std::move(url);
  request.method = HttpMethod::kGet;
  request.timeout_ms = timeout_ms;
  return request;
}

int count_events(const std::string& body) {
  int events = 0;
  for (size_t at = body.find("data: {\"i\""); at != std::string::npos;
       at = body.find("data: {\"i\"", at + 1)) {
    ++events;
  }
  return events;
}

// Connections the server accepted since the last reset, less the one this query opens.
int server_connections(const HttpTestServer& server) {
  HttpGetResult result = http_get(server.url("/stats"), {}, 10'000, HttpTransportOptions{});
  EXPECT_TRUE(result.outcome.ok()) << result.outcome.message;
  const size_t colon = result.body.find(':');
  return colon == std::string::npos ? -1 : std::stoi(result.body.substr(colon + 1)) - 1;
}

TEST(HttpStreamClient, StreamArrivesWithTheServersDelaysOnTheSameClock) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  const int64_t started_ns = steady_now_ns();
  client.start(get_request(7, server.url("/sse?events=5&delay_ms=100")));
  ASSERT_TRUE(client.run_until_idle(30'000));

  const Recorded& r = sink.by_id.at(7);
  ASSERT_EQ(r.done_calls, 1);
  EXPECT_TRUE(r.outcome.ok()) << r.outcome.message;
  EXPECT_EQ(r.statuses, std::vector<long>{200});
  EXPECT_FALSE(r.body_before_headers);
  const std::string body = r.body();
  EXPECT_EQ(count_events(body), 5);
  EXPECT_NE(body.find("data: [DONE]\n\n"), std::string::npos);

  // Each event's arrival: the piece holding its closing blank line.
  std::vector<int64_t> arrivals;
  std::vector<int64_t> server_stamps;
  size_t piece_end = 0;
  size_t piece = 0;
  for (size_t at = body.find("\"t\": "); at != std::string::npos;
       at = body.find("\"t\": ", at + 1)) {
    server_stamps.push_back(std::stoll(body.substr(at + 5)));
    const size_t event_end = body.find("\n\n", at);
    while (piece_end + r.pieces[piece].bytes.size() <= event_end) {
      piece_end += r.pieces[piece].bytes.size();
      ++piece;
    }
    arrivals.push_back(r.pieces[piece].arrival_ns);
  }
  ASSERT_EQ(arrivals.size(), 5u);
  for (size_t i = 0; i < arrivals.size(); ++i) {
    // python's time.monotonic_ns() is CLOCK_MONOTONIC, like std::chrono::steady_clock on Linux:
    // the server's stamp precedes the arrival, by far less than a second.
    EXPECT_GE(arrivals[i], server_stamps[i]) << "event " << i;
    EXPECT_LT(arrivals[i] - server_stamps[i], 1'000'000'000) << "event " << i;
    EXPECT_GE(arrivals[i], started_ns);
    if (i > 0) {
      const int64_t gap_ms = (arrivals[i] - arrivals[i - 1]) / 1'000'000;
      EXPECT_GE(gap_ms, 30) << "event " << i;
      EXPECT_LE(gap_ms, 1000) << "event " << i;
    }
  }
}

TEST(HttpStreamClient, ThousandConcurrentStreamsOnOneThreadReuseTheirConnections) {
  constexpr int kStreams = 1000;
  HttpTestServer server;
  RecordingSink sink;
  HttpTransportOptions options;
  options.max_connections = kStreams;
  HttpStreamClient client(options, sink);
  for (int wave = 0; wave < 2; ++wave) {
    for (int i = 0; i < kStreams; ++i) {
      client.start(
          get_request(wave * kStreams + i, server.url("/sse?events=10&delay_ms=10"), 120'000));
    }
    ASSERT_TRUE(client.run_until_idle(180'000)) << client.in_flight() << " still in flight";
  }
  ASSERT_EQ(sink.by_id.size(), 2u * kStreams);
  int reused = 0;
  for (const auto& [id, r] : sink.by_id) {
    ASSERT_EQ(r.done_calls, 1) << "request " << id;
    ASSERT_TRUE(r.outcome.ok()) << "request " << id << ": " << r.outcome.message;
    const std::string body = r.body();
    ASSERT_EQ(count_events(body), 10) << "request " << id;
    ASSERT_NE(body.find("data: [DONE]"), std::string::npos) << "request " << id;
    if (id >= kStreams && r.outcome.reused_connection) ++reused;
  }
  // The second wave ran on the first wave's connections.
  EXPECT_LE(server_connections(server), kStreams);
  EXPECT_GE(reused, kStreams * 9 / 10);
}

TEST(HttpStreamClient, KeepAliveReusesOneConnectionForSequentialRequests) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  // Closed loop: each request starts the next from on_done.
  sink.after_done = [&](uint64_t id, const HttpOutcome&) {
    if (id < 5) client.start(get_request(id + 1, server.url("/sse?events=2")));
  };
  client.start(get_request(1, server.url("/sse?events=2")));
  ASSERT_TRUE(client.run_until_idle(30'000));
  ASSERT_EQ(sink.by_id.size(), 5u);
  for (uint64_t id = 1; id <= 5; ++id) {
    const Recorded& r = sink.by_id.at(id);
    EXPECT_TRUE(r.outcome.ok()) << r.outcome.message;
    EXPECT_EQ(count_events(r.body()), 2);
    EXPECT_EQ(r.outcome.reused_connection, id > 1) << "request " << id;
  }
  EXPECT_EQ(server_connections(server), 1);
}

TEST(HttpStreamClient, PostSendsBodyAndHeaders) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  HttpRequest request;
  request.id = 3;
  request.url = server.url("/echo");
  request.headers = {"X-Test: forty-two", "Content-Type: application/json"};
  request.body = "{\"prompt\": \"" + std::string(1500000, 'a') +
                 "\"}";  // over 1 MiB: curl would send "Expect: 100-continue"
  client.start(request);
  ASSERT_TRUE(client.run_until_idle(30'000));
  const Recorded& r = sink.by_id.at(3);
  ASSERT_TRUE(r.outcome.ok()) << r.outcome.message;
  const std::string body = r.body();
  EXPECT_NE(body.find("\"method\": \"POST\""), std::string::npos) << body.substr(0, 80);
  EXPECT_NE(body.find(std::string(1500000, 'a')), std::string::npos);
  EXPECT_NE(body.find("\"x_test\": \"forty-two\""), std::string::npos);
  EXPECT_NE(body.find("\"expect\": null"), std::string::npos);  // no 100-continue round trip
}

TEST(HttpStreamClient, StalledStreamEndsWithTheRequestTimeout) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  const int64_t started_ns = steady_now_ns();
  client.start(get_request(1, server.url("/sse?events=1&then=stall"), 500));
  ASSERT_TRUE(client.run_until_idle(30'000));
  const int64_t elapsed_ms = (steady_now_ns() - started_ns) / 1'000'000;
  const Recorded& r = sink.by_id.at(1);
  EXPECT_EQ(r.outcome.kind, HttpOutcomeKind::kTimeout) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("timeout"), std::string::npos) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("/sse?events=1&then=stall"), std::string::npos);
  EXPECT_EQ(count_events(r.body()), 1);
  EXPECT_GE(elapsed_ms, 450);
  EXPECT_LT(elapsed_ms, 5000);
}

TEST(HttpStreamClient, ConnectionRefusedNamesTheUrl) {
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_local_port()) + "/v1/x";
  client.start(get_request(1, url));
  ASSERT_TRUE(client.run_until_idle(30'000));
  const Recorded& r = sink.by_id.at(1);
  EXPECT_EQ(r.outcome.kind, HttpOutcomeKind::kConnectFailed) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find(url), std::string::npos) << r.outcome.message;
  EXPECT_TRUE(r.statuses.empty());
}

TEST(HttpStreamClient, ResetMidStreamIsAConnectionLoss) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  client.start(get_request(1, server.url("/sse?events=2&delay_ms=20&then=reset")));
  ASSERT_TRUE(client.run_until_idle(30'000));
  const Recorded& r = sink.by_id.at(1);
  EXPECT_EQ(r.outcome.kind, HttpOutcomeKind::kConnectionLost) << r.outcome.message;
  EXPECT_NE(r.outcome.message.find("reset"), std::string::npos) << r.outcome.message;
  EXPECT_EQ(count_events(r.body()), 2);
}

TEST(HttpStreamClient, CleanCloseBeforeTheLastChunkIsAStreamCutShort) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  client.start(get_request(1, server.url("/sse?events=2&then=cut")));
  ASSERT_TRUE(client.run_until_idle(30'000));
  const Recorded& r = sink.by_id.at(1);
  EXPECT_EQ(r.outcome.kind, HttpOutcomeKind::kStreamCut) << r.outcome.message;
  EXPECT_EQ(count_events(r.body()), 2);
}

TEST(HttpStreamClient, HttpErrorStatusPassesTheBodyThrough) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  client.start(get_request(404, server.url("/status?code=404")));
  client.start(get_request(500, server.url("/status?code=500")));
  ASSERT_TRUE(client.run_until_idle(30'000));
  for (long code : {404L, 500L}) {
    const Recorded& r = sink.by_id.at(code);
    EXPECT_EQ(r.outcome.kind, HttpOutcomeKind::kHttpError);
    EXPECT_EQ(r.outcome.http_status, code);
    EXPECT_EQ(r.statuses, std::vector<long>{code});
    EXPECT_TRUE(r.pieces.empty()) << "an error body must not reach on_body";
    EXPECT_EQ(r.outcome.error_body,
              "{\"error\": {\"message\": \"status " + std::to_string(code) +
                  " as asked\", \"type\": \"invalid_request_error\", \"code\": " +
                  std::to_string(code) + "}}");
    EXPECT_NE(r.outcome.message.find("HTTP " + std::to_string(code)), std::string::npos);
  }
}

TEST(HttpStreamClient, CancelFromOnBodyDropsTheStreamAndStartTakesEffect) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  sink.after_body = [&](uint64_t id, std::string_view) {
    if (id == 1) {
      client.cancel(1);
      client.start(get_request(2, server.url("/sse?events=3")));
    }
  };
  client.start(get_request(1, server.url("/sse?events=50&delay_ms=50")));
  ASSERT_TRUE(client.run_until_idle(30'000));
  EXPECT_EQ(sink.by_id.at(1).done_calls, 0);
  EXPECT_EQ(sink.by_id.at(1).pieces.size(), 1u);
  EXPECT_TRUE(sink.by_id.at(2).outcome.ok());
  EXPECT_EQ(count_events(sink.by_id.at(2).body()), 3);
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(HttpStreamClient, SinkExceptionsLeavePoll) {
  HttpTestServer server;
  RecordingSink sink;
  HttpStreamClient client(HttpTransportOptions{}, sink);
  sink.after_body = [](uint64_t, std::string_view) { throw std::runtime_error("sink broke"); };
  client.start(get_request(1, server.url("/sse?events=3")));
  EXPECT_THROW(client.run_until_idle(30'000), std::runtime_error);
}

TEST(HttpStreamClient, EnvironmentProxyIgnoredUnlessUseProxy) {
  HttpTestServer server;
  const std::string dead_proxy = "http://127.0.0.1:" + std::to_string(closed_local_port());
  setenv("http_proxy", dead_proxy.c_str(), 1);
  setenv("no_proxy", "", 1);
  for (bool use_proxy : {false, true}) {
    RecordingSink sink;
    HttpTransportOptions options;
    options.use_proxy = use_proxy;
    HttpStreamClient client(options, sink);
    client.start(get_request(1, server.url("/sse?events=1")));
    ASSERT_TRUE(client.run_until_idle(30'000));
    const HttpOutcome& outcome = sink.by_id.at(1).outcome;
    if (use_proxy) {
      EXPECT_EQ(outcome.kind, HttpOutcomeKind::kConnectFailed) << outcome.message;
    } else {
      EXPECT_TRUE(outcome.ok()) << outcome.message;
    }
  }
  unsetenv("http_proxy");
  unsetenv("no_proxy");
}

TEST(HttpStreamClient, HttpsChecksTheCertificateUnlessInsecure) {
  HttpTestServer server(/*tls=*/true);
  if (!server.available()) GTEST_SKIP() << "no openssl command to make a certificate";
  for (bool insecure : {false, true}) {
    RecordingSink sink;
    HttpTransportOptions options;
    options.insecure = insecure;
    HttpStreamClient client(options, sink);
    client.start(get_request(1, server.url("/sse?events=2")));
    ASSERT_TRUE(client.run_until_idle(30'000));
    const HttpOutcome& outcome = sink.by_id.at(1).outcome;
    if (insecure) {
      EXPECT_TRUE(outcome.ok()) << outcome.message;
      EXPECT_EQ(count_events(sink.by_id.at(1).body()), 2);
    } else {
      EXPECT_EQ(outcome.kind, HttpOutcomeKind::kConnectFailed) << outcome.message;
      EXPECT_NE(outcome.message.find("certificate"), std::string::npos) << outcome.message;
    }
  }
}

TEST(HttpStreamClient, RaisesTheOpenFileSoftLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 2000) GTEST_SKIP() << "hard limit low";
  rlimit low = saved;
  low.rlim_cur = 300;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  RecordingSink sink;
  HttpTransportOptions options;
  options.max_connections = 1000;
  { HttpStreamClient client(options, sink); }
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  EXPECT_GE(now.rlim_cur, 1000u);
  setrlimit(RLIMIT_NOFILE, &saved);
}

TEST(HttpStreamClient, HardOpenFileLimitBelowTheConcurrencyIsAnInputError) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max > 1'000'000) {
    GTEST_SKIP() << "no finite hard open-file limit";
  }
  RecordingSink sink;
  HttpTransportOptions options;
  options.max_connections = static_cast<int>(limit.rlim_max);
  try {
    HttpStreamClient client(options, sink);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("RLIMIT_NOFILE " + std::to_string(limit.rlim_max)), std::string::npos)
        << message;
    EXPECT_NE(message.find(std::to_string(limit.rlim_max) + " concurrent streams"),
              std::string::npos)
        << message;
  }
}

TEST(HttpGet, ModelsListErrorsRefusalAndTimeout) {
  HttpTestServer server;
  const HttpTransportOptions options;
  HttpGetResult models =
      http_get(server.url("/v1/models"), {"Accept: application/json"}, 10'000, options);
  ASSERT_TRUE(models.outcome.ok()) << models.outcome.message;
  EXPECT_EQ(models.outcome.http_status, 200);
  EXPECT_NE(models.body.find("\"id\": \"test-model\""), std::string::npos) << models.body;

  HttpGetResult missing = http_get(server.url("/status?code=404"), {}, 10'000, options);
  EXPECT_EQ(missing.outcome.kind, HttpOutcomeKind::kHttpError);
  EXPECT_TRUE(missing.body.empty());
  EXPECT_NE(missing.outcome.error_body.find("status 404 as asked"), std::string::npos);

  const std::string refused_url = "http://127.0.0.1:" + std::to_string(closed_local_port());
  HttpGetResult refused = http_get(refused_url, {}, 10'000, options);
  EXPECT_EQ(refused.outcome.kind, HttpOutcomeKind::kConnectFailed) << refused.outcome.message;
  EXPECT_NE(refused.outcome.message.find(refused_url), std::string::npos);

  const int64_t started_ns = steady_now_ns();
  HttpGetResult stalled = http_get(server.url("/sse?events=1&then=stall"), {}, 300, options);
  EXPECT_EQ(stalled.outcome.kind, HttpOutcomeKind::kTimeout) << stalled.outcome.message;
  EXPECT_LT(steady_now_ns() - started_ns, 5'000'000'000);
}

}  // namespace
}  // namespace tpbench
