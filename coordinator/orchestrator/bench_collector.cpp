// Not a test: scripts/bench_collector.sh runs it. Synthetic leaders PUSH batched RequestRecords
// over real TCP sockets (CURVE like a run, unless --plain); one thread ingests them exactly as
// the coordinator does (receive, decode_record_batch, RecordCollector) and reports records/s.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/wire/transport.hpp"
#include "coordinator/orchestrator/record_collector.hpp"

using namespace tpbench;

int main(int argc, char** argv) {
  int pushers = 2, per_batch = 64, tokens = 0;
  uint64_t records = 2'000'000;
  bool curve = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return std::strtoll(argv[++i], nullptr, 10); };
    if (a == "--pushers")
      pushers = static_cast<int>(next());
    else if (a == "--records")
      records = static_cast<uint64_t>(next());
    else if (a == "--batch")
      per_batch = static_cast<int>(next());
    else if (a == "--token-times")
      tokens = static_cast<int>(next());
    else if (a == "--plain")
      curve = false;
    else {
      std::fprintf(
          stderr, "usage: %s [--pushers N] [--records N] [--batch N] [--token-times N] [--plain]\n",
          argv[0]);
      return 2;
    }
  }
  zmq::context_t server_ctx(1), client_ctx(2);
  wire::CurveKeys server = wire::make_curve_keys();
  std::vector<wire::CurveKeys> clients;
  std::map<std::string, std::string> allowed;
  for (int p = 0; p < pushers; ++p) {
    clients.push_back(wire::make_curve_keys());
    allowed[clients.back().public_z85] = "rank " + std::to_string(p);
  }
  wire::ZapAuthenticator zap(server_ctx, allowed);
  zmq::socket_t pull(server_ctx, zmq::socket_type::pull);
  pull.set(zmq::sockopt::rcvhwm, 100000);
  if (curve) wire::configure_curve_server(pull, server);
  pull.bind("tcp://127.0.0.1:*");
  const std::string endpoint = pull.get(zmq::sockopt::last_endpoint);

  // Each pusher encodes its share first, then sends as fast as the socket takes it.
  std::vector<std::thread> threads;
  for (int p = 0; p < pushers; ++p) {
    threads.emplace_back([&, p] {
      zmq::socket_t push(client_ctx, zmq::socket_type::push);
      push.set(zmq::sockopt::sndhwm, 100000);
      push.set(zmq::sockopt::linger, -1);
      if (curve) wire::configure_curve_client(push, clients[p], server.public_z85);
      push.connect(endpoint);
      std::vector<std::pair<msgpack::sbuffer, msgpack::sbuffer>> frames;
      wire::RecordBatchMsg batch;
      batch.replica = p;
      for (uint64_t id = p; id < records;) {
        batch.records.clear();
        for (int k = 0; k < per_batch && id < records; ++k, id += pushers) {
          RequestRecord r;
          r.id = id;
          r.replica = p;
          r.prompt_tokens = 200;
          r.output_tokens = tokens > 0 ? tokens : 180;
          r.submit_ns = static_cast<int64_t>(id) * 1000;
          r.first_token_ns = r.submit_ns + 20'000'000;
          r.finish_ns = r.first_token_ns + 3'000'000'000ll;
          for (int t = 0; t < tokens; ++t)
            r.token_ns.push_back(r.first_token_ns + t * 16'000'000ll);
          batch.records.push_back(std::move(r));
        }
        msgpack::sbuffer head, body;
        wire::pack_into(head, wire::Header{wire::kProtocolVersion,
                                           static_cast<int32_t>(wire::MsgKind::kRecordBatch), p});
        wire::pack_into(body, batch);
        ++batch.seq;
        frames.emplace_back(std::move(head), std::move(body));
      }
      for (auto& [head, body] : frames) {
        push.send(zmq::buffer(head.data(), head.size()), zmq::send_flags::sndmore);
        push.send(zmq::buffer(body.data(), body.size()), zmq::send_flags::none);
      }
    });
  }

  RecordCollector collector(records);
  wire::RecordBatchMsg batch;
  wire::Received msg;
  uint64_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  bool started = false;
  timespec cpu0{}, cpu1{};
  while (collector.received() < records) {
    if (!wire::receive_message(pull, false, msg)) continue;
    if (!started) {
      started = true;
      start = std::chrono::steady_clock::now();
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
    }
    bytes += msg.payload.size();
    wire::decode_record_batch(msg.payload.data(), msg.payload.size(), batch);
    collector.add(batch.replica, std::move(batch.records));
    batch.records.clear();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
  double cpu = (cpu1.tv_sec - cpu0.tv_sec) + 1e-9 * (cpu1.tv_nsec - cpu0.tv_nsec);
  for (auto& t : threads) t.join();
  std::printf("records=%llu pushers=%d batch=%d token_times=%d curve=%s\n",
              static_cast<unsigned long long>(records), pushers, per_batch, tokens,
              curve ? "on" : "off");
  std::printf(
      "ingest: %.3f s wall, %.3f s CPU of the ingest thread, %.0f records/s wall, %.0f records/s "
      "per ingest CPU-second, %.1f MB/s\n",
      secs, cpu, records / secs, records / cpu, bytes / secs / 1e6);
  std::printf("rejected=%llu\n", static_cast<unsigned long long>(collector.rejected()));
  return collector.rejected() == 0 ? 0 : 1;
}
