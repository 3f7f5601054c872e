#include <gtest/gtest.h>

#include "common/wire/codec.hpp"
#include "common/wire/transport.hpp"

namespace tpbench::wire {
namespace {

template <typename T>
T roundtrip(const T& in) {
  msgpack::sbuffer buf;
  pack_into(buf, in);
  return decode_payload<T>(buf.data(), buf.size());
}

RequestRecord sample_record(uint64_t id) {
  RequestRecord r;
  r.id = id;
  r.replica = 2;
  r.prompt_tokens = 31;
  r.output_tokens = 3;
  r.scheduled_ns = 4'999'999'000'000ll + static_cast<int64_t>(id);
  r.queue_ns = 250'000;
  r.submit_ns = -7;
  r.first_token_ns = 5'000'000'000'123ll;
  r.finish_ns = 5'000'000'999'999ll;
  r.token_ns = {5'000'000'000'123ll, 5'000'000'500'000ll, 5'000'000'999'999ll};
  r.token_ids = {11, -1, 31999};
  r.ok = id % 2 == 0;
  r.error = r.ok ? "" : "prompt longer than the context";
  r.client_output_tokens = id % 3 == 0 ? -1 : 4;
  r.requested_output_tokens = id % 4 == 0 ? -1 : 3 + static_cast<int32_t>(id % 2);
  return r;
}

void expect_same(const RequestRecord& a, const RequestRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.replica, b.replica);
  EXPECT_EQ(a.prompt_tokens, b.prompt_tokens);
  EXPECT_EQ(a.output_tokens, b.output_tokens);
  EXPECT_EQ(a.scheduled_ns, b.scheduled_ns);
  EXPECT_EQ(a.queue_ns, b.queue_ns);
  EXPECT_EQ(a.submit_ns, b.submit_ns);
  EXPECT_EQ(a.first_token_ns, b.first_token_ns);
  EXPECT_EQ(a.finish_ns, b.finish_ns);
  EXPECT_EQ(a.token_ns, b.token_ns);
  EXPECT_EQ(a.token_ids, b.token_ids);
  EXPECT_EQ(a.ok, b.ok);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.client_output_tokens, b.client_output_tokens);
  EXPECT_EQ(a.requested_output_tokens, b.requested_output_tokens);
}

WorkloadRequest sample_request(uint64_t id) {
  WorkloadRequest w;
  w.id = id;
  w.prompt_ids = {1, 15043, static_cast<int32_t>(id)};
  w.prompt_len = 3;
  w.output_len = 17;
  w.scheduled_ns = 3'000'000 * static_cast<int64_t>(id);
  w.prompt_text = "Hello, wire " + std::to_string(id);
  return w;
}

TEST(WireMessages, Header) {
  Header h{kProtocolVersion, static_cast<int32_t>(MsgKind::kDone), 12};
  msgpack::sbuffer buf;
  pack_into(buf, h);
  Header out = decode_header(buf.data(), buf.size());
  EXPECT_EQ(out.version, kProtocolVersion);
  EXPECT_EQ(out.kind, static_cast<int32_t>(MsgKind::kDone));
  EXPECT_EQ(out.rank, 12);
}

TEST(WireMessages, HeaderOfAnotherVersionStillNamesItsVersion) {
  // A future header with a renamed field must not garble: only the version is read.
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(2);
  pk.pack(std::string("version"));
  pk.pack(kProtocolVersion + 1);
  pk.pack(std::string("message_type"));
  pk.pack(std::string("hello"));
  Header out = decode_header(buf.data(), buf.size());
  EXPECT_EQ(out.version, kProtocolVersion + 1);
}

TEST(WireMessages, MalformedHeaderIsAWireError) {
  msgpack::sbuffer buf;
  pack_into(buf, std::vector<int>{1, 2, 3});
  EXPECT_THROW(decode_header(buf.data(), buf.size()), WireError);
  const char garbage[] = "\xc1\xc1\xc1";
  EXPECT_THROW(decode_header(garbage, 3), WireError);
  msgpack::sbuffer no_version;
  msgpack::packer<msgpack::sbuffer> pk(no_version);
  pk.pack_map(1);
  pk.pack(std::string("kind"));
  pk.pack(1);
  EXPECT_THROW(decode_header(no_version.data(), no_version.size()), WireError);
}

TEST(WireMessages, Hello) {
  HelloMsg m{kProtocolVersion, 5, 2, "follower", "node-17", 4242};
  HelloMsg out = roundtrip(m);
  EXPECT_EQ(out.protocol_version, kProtocolVersion);
  EXPECT_EQ(out.rank, 5);
  EXPECT_EQ(out.replica, 2);
  EXPECT_EQ(out.role, "follower");
  EXPECT_EQ(out.host, "node-17");
  EXPECT_EQ(out.pid, 4242);
}

TEST(WireMessages, HeartbeatByeReady) {
  EXPECT_EQ(roundtrip(HeartbeatMsg{-123456789012345ll, 0, false, {}}).sent_ns, -123456789012345ll);
  HeartbeatMsg beat = roundtrip(HeartbeatMsg{5, 7, true, {}});
  EXPECT_EQ(beat.in_step_ns, 7);
  EXPECT_TRUE(beat.engine_ready);
  EXPECT_FALSE(roundtrip(HeartbeatMsg{5, 7, false, {}}).engine_ready);
  EXPECT_TRUE(beat.gpu.empty());
  const GpuIdentity h200{"NVIDIA H200", "0000:19:00.0", 150'109'978'624};
  HeartbeatMsg with_gpu = roundtrip(HeartbeatMsg{5, 7, true, {h200}});
  ASSERT_EQ(with_gpu.gpu.size(), 1u);
  EXPECT_EQ(with_gpu.gpu[0], h200);
  EXPECT_EQ(roundtrip(ByeMsg{9}).exit_code, 9);
  ReadyMsg r{3, 64, "sim: 5 ms per step", 1.25};
  ReadyMsg out = roundtrip(r);
  EXPECT_EQ(out.replica, 3);
  EXPECT_EQ(out.slots, 64);
  EXPECT_EQ(out.engine, r.engine);
  EXPECT_DOUBLE_EQ(out.build_seconds, 1.25);
}

TEST(WireMessages, ErrorAbortWorkRequest) {
  ErrorMsg e{1, 2, "model dir has no config.json"};
  ErrorMsg eo = roundtrip(e);
  EXPECT_EQ(eo.replica, 1);
  EXPECT_EQ(eo.exit_code, 2);
  EXPECT_EQ(eo.message, e.message);
  EXPECT_EQ(roundtrip(AbortMsg{"replica 2 failed"}).reason, "replica 2 failed");
  EXPECT_EQ(roundtrip(StopMsg{"ended by --timeout after 2 s"}).reason,
            "ended by --timeout after 2 s");
  EXPECT_STREQ(kind_name(MsgKind::kStop), "stop");
  EXPECT_EQ(roundtrip(WorkRequestMsg{48}).max_requests, 48);
}

TEST(WireMessages, GoAndWork) {
  GoMsg g;
  g.dynamic = false;
  g.total_requests = 1000;
  g.shard = {sample_request(0), sample_request(4)};
  GoMsg go = roundtrip(g);
  EXPECT_FALSE(go.dynamic);
  EXPECT_EQ(go.total_requests, 1000u);
  ASSERT_EQ(go.shard.size(), 2u);
  EXPECT_EQ(go.shard[1].id, 4u);
  EXPECT_EQ(go.shard[1].prompt_ids, g.shard[1].prompt_ids);
  EXPECT_EQ(go.shard[1].output_len, 17);
  EXPECT_EQ(go.shard[1].scheduled_ns, 12'000'000);
  EXPECT_EQ(go.shard[1].prompt_text, "Hello, wire 4");

  WorkMsg w;
  w.requests = {sample_request(9)};
  w.exhausted = true;
  WorkMsg wo = roundtrip(w);
  EXPECT_TRUE(wo.exhausted);
  ASSERT_EQ(wo.requests.size(), 1u);
  EXPECT_EQ(wo.requests[0].prompt_ids, w.requests[0].prompt_ids);
  EXPECT_EQ(wo.requests[0].scheduled_ns, 27'000'000);
}

TEST(WireMessages, Done) {
  DoneMsg d;
  d.replica = 3;
  d.records_sent = 777;
  d.stats = {10, 2000, 3000, 4, 512, 123456789};
  DoneMsg o = roundtrip(d);
  EXPECT_EQ(o.replica, 3);
  EXPECT_EQ(o.records_sent, 777u);
  EXPECT_EQ(o.stats.steps, 10);
  EXPECT_EQ(o.stats.prefill_tokens, 2000);
  EXPECT_EQ(o.stats.decode_tokens, 3000);
  EXPECT_EQ(o.stats.preemptions, 4);
  EXPECT_EQ(o.stats.kv_blocks_total, 512);
  EXPECT_EQ(o.stats.busy_ns, 123456789);
}

TEST(WireMessages, EndpointsRoundTrip) {
  Endpoints e{"tcp://10.0.0.1:4000", "tcp://10.0.0.1:4001", std::string(40, 'x')};
  msgpack::sbuffer buf;
  pack_into(buf, e);
  Endpoints o = decode_payload<Endpoints>(buf.data(), buf.size());
  EXPECT_EQ(o.control, e.control);
  EXPECT_EQ(o.records, e.records);
  EXPECT_EQ(o.server_public_z85, e.server_public_z85);
}

TEST(WireMessages, RecordBatchFastDecodeMatchesGeneric) {
  RecordBatchMsg b;
  b.replica = 2;
  b.seq = 41;
  for (uint64_t i = 0; i < 5; ++i) b.records.push_back(sample_record(100 + i));
  b.records[3].token_ns.clear();
  msgpack::sbuffer buf;
  pack_into(buf, b);
  RecordBatchMsg generic = decode_payload<RecordBatchMsg>(buf.data(), buf.size());
  RecordBatchMsg fast;
  fast.records.push_back(sample_record(1));  // stale content must be replaced
  decode_record_batch(buf.data(), buf.size(), fast);
  EXPECT_EQ(fast.replica, 2);
  EXPECT_EQ(fast.seq, 41u);
  ASSERT_EQ(fast.records.size(), b.records.size());
  ASSERT_EQ(generic.records.size(), b.records.size());
  for (size_t i = 0; i < b.records.size(); ++i) {
    expect_same(fast.records[i], b.records[i]);
    expect_same(generic.records[i], b.records[i]);
  }
}

TEST(WireMessages, RecordBatchRejectsWrongTypes) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(1);
  pk.pack(std::string("records"));
  pk.pack_array(1);
  pk.pack_map(1);
  pk.pack(std::string("submit_ns"));
  pk.pack(std::string("not a number"));
  RecordBatchMsg out;
  EXPECT_THROW(decode_record_batch(buf.data(), buf.size(), out), WireError);
}

// tpbench_serve's messages: every field survives, ids past 2^32 and an empty stop list too.
TEST(WireMessages, ServeRequestsCancelEvents) {
  ServeRequest r{(1ull << 40) + 3, {1, 17, 300}, 64, 5, {2, 278}, 40, 0.9f, 0.7f, 99};
  ServeRequestsMsg batch = roundtrip(ServeRequestsMsg{{r, ServeRequest{}}});
  ASSERT_EQ(batch.requests.size(), 2u);
  const ServeRequest& out = batch.requests[0];
  EXPECT_EQ(out.id, r.id);
  EXPECT_EQ(out.prompt, r.prompt);
  EXPECT_EQ(out.max_new_tokens, 64);
  EXPECT_EQ(out.min_new_tokens, 5);
  EXPECT_EQ(out.stop_token_ids, (std::vector<int32_t>{2, 278}));
  EXPECT_EQ(out.top_k, 40);
  EXPECT_FLOAT_EQ(out.top_p, 0.9f);
  EXPECT_FLOAT_EQ(out.temperature, 0.7f);
  EXPECT_EQ(out.seed, 99u);
  EXPECT_TRUE(batch.requests[1].stop_token_ids.empty());
  EXPECT_EQ(roundtrip(ServeCancelMsg{{7, 1ull << 50}}).ids, (std::vector<uint64_t>{7, 1ull << 50}));
  ServeEventsMsg events =
      roundtrip(ServeEventsMsg{{{4, 11, false}, {5, 2, true}}, {{6, "too long"}}});
  ASSERT_EQ(events.tokens.size(), 2u);
  EXPECT_EQ(events.tokens[1].id, 5u);
  EXPECT_EQ(events.tokens[1].token, 2);
  EXPECT_TRUE(events.tokens[1].finished);
  EXPECT_FALSE(events.tokens[0].finished);
  ASSERT_EQ(events.failures.size(), 1u);
  EXPECT_EQ(events.failures[0].id, 6u);
  EXPECT_EQ(events.failures[0].reason, "too long");
  EXPECT_STREQ(kind_name(MsgKind::kServeEvents), "serve-events");
}

}  // namespace
}  // namespace tpbench::wire
