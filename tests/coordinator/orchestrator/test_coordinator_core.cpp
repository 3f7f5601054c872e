// The coordinator's decisions driven in-process, without sockets or mpirun: start-up, a complete
// run (static and dynamic), --timeout, a lost rank, a silent rank, --startup-timeout, a version
// mismatch, interrupts; and 10,000 replicas' worth of messages, timed per message.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "common/error.hpp"
#include "coordinator/orchestrator/coordinator_core.hpp"

namespace tpbench {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

CoordinatorPlan make_plan(int world, int tp, Dispatch dispatch = Dispatch::kStatic,
                          int concurrency = 8) {
  CoordinatorPlan plan;
  plan.topology = wire::make_topology(world, tp, false);
  plan.options.dispatch = dispatch;
  plan.options.concurrency = concurrency;
  plan.options.heartbeat_timeout_s = 2;
  plan.options.startup_timeout_s = 60;
  plan.backend = "sim";
  plan.slots = wire::split_slots(concurrency, plan.topology.replicas);
  for (int r = 0; r < world; ++r) plan.rank_hosts.push_back("h" + std::to_string(r));
  plan.control_endpoint = "tcp://h0:5555";
  return plan;
}

std::vector<WorkloadRequest> make_requests(uint64_t n) {
  std::vector<WorkloadRequest> requests(n);
  for (uint64_t i = 0; i < n; ++i) {
    requests[i].id = i;
    requests[i].prompt_ids = {1, 2, 3};
    requests[i].prompt_len = 3;
    requests[i].output_len = 2;
  }
  return requests;
}

RequestRecord record_of(uint64_t id, int replica) {
  RequestRecord r;
  r.id = id;
  r.replica = replica;
  r.prompt_tokens = 3;
  r.output_tokens = 2;
  return r;
}

template <typename T>
std::vector<T*> all_of(std::vector<coord::Action>& actions) {
  std::vector<T*> found;
  for (auto& a : actions)
    if (auto* t = std::get_if<T>(&a)) found.push_back(t);
  return found;
}

// The core with a clock the test moves.
struct Driver {
  CoordinatorCore core;
  int64_t now = 0;
  std::vector<coord::Action> out;

  Driver(CoordinatorPlan plan, uint64_t requests) : core(std::move(plan), make_requests(requests)) {
    feed(coord::Listening{});
  }

  std::vector<coord::Action>& feed(coord::Event event) {
    out.clear();
    core.handle(now, std::move(event), out);
    return out;
  }
  std::vector<coord::Action>& control(int rank, coord::ControlPayload payload) {
    return feed(coord::Control{rank, std::move(payload)});
  }
  std::vector<coord::Action>& hello(int rank, int connection = -1) {
    wire::HelloMsg msg;
    msg.protocol_version = wire::kProtocolVersion;
    msg.rank = rank;
    return control(rank, coord::Hello{msg, connection});
  }
  std::vector<coord::Action>& ready(int leader) {
    wire::ReadyMsg msg;
    msg.engine = "sim";
    msg.build_seconds = 0.5;
    return control(leader, msg);
  }
  std::vector<coord::Action>& beat(int rank, int64_t in_step_ns = 0, bool engine_ready = true) {
    wire::HeartbeatMsg msg;
    msg.in_step_ns = in_step_ns;
    msg.engine_ready = engine_ready;
    return control(rank, msg);
  }
  std::vector<coord::Action>& records(int leader, int replica, std::vector<uint64_t> ids) {
    wire::RecordBatchMsg batch;
    batch.replica = replica;
    for (uint64_t id : ids) batch.records.push_back(record_of(id, replica));
    return feed(coord::Records{leader, std::move(batch)});
  }
  std::vector<coord::Action>& done(int leader, int replica, uint64_t sent) {
    wire::DoneMsg msg;
    msg.replica = replica;
    msg.records_sent = sent;
    return control(leader, msg);
  }
  std::vector<coord::Action>& tick() { return feed(coord::Tick{}); }
  void beat_all(int world) {
    for (int r = 0; r < world; ++r) beat(r);
  }
  // Every rank says hello, every leader is ready; returns the actions of the last ready.
  std::vector<coord::Action>& start(const std::vector<int>& ranks,
                                    const std::vector<int>& leaders) {
    for (int r : ranks) hello(r, 100 + r);
    for (size_t i = 0; i + 1 < leaders.size(); ++i) ready(leaders[i]);
    return ready(leaders.back());
  }
};

const coord::RunEnd* run_end(std::vector<coord::Action>& actions) {
  auto ends = all_of<coord::RunEnd>(actions);
  EXPECT_LE(ends.size(), 1u);
  return ends.empty() ? nullptr : ends.front();
}

void expect_abort(std::vector<coord::Action>& actions, const std::string& reason) {
  const coord::RunEnd* end = run_end(actions);
  ASSERT_NE(end, nullptr) << "no end; expected: " << reason;
  EXPECT_EQ(end->how, coord::EndHow::kAbort);
  EXPECT_EQ(end->code, kExitRunFailed);
  EXPECT_FALSE(end->complete);
  EXPECT_EQ(end->reason, reason);
  EXPECT_EQ(end->console_line, "profile_throughput: error: " + reason);
  EXPECT_TRUE(end->write_reports);
}

TEST(CoordinatorCore, GoesOnlyOnceEveryRankSaidHelloAndEveryLeaderIsReady) {
  Driver d(make_plan(4, 2), 5);  // replicas 0 (ranks 0, 1) and 1 (ranks 2, 3)
  d.hello(0);
  d.hello(2);
  d.ready(0);
  EXPECT_TRUE(d.ready(2).empty());  // ranks 1 and 3 have not said hello
  d.hello(1);
  EXPECT_TRUE(d.hello(1).empty());  // a second hello counts once
  auto& out = d.hello(3);
  auto gos = all_of<coord::SendGo>(out);
  ASSERT_EQ(gos.size(), 2u);
  EXPECT_EQ(gos[0]->leader_rank, 0);
  EXPECT_EQ(gos[1]->leader_rank, 2);
  // Static dispatch: request i goes to replica i % 2.
  std::vector<uint64_t> ids0, ids1;
  for (const auto& r : gos[0]->msg.shard) ids0.push_back(r.id);
  for (const auto& r : gos[1]->msg.shard) ids1.push_back(r.id);
  EXPECT_EQ(ids0, (std::vector<uint64_t>{0, 2, 4}));
  EXPECT_EQ(ids1, (std::vector<uint64_t>{1, 3}));
  EXPECT_FALSE(gos[0]->msg.dynamic);
  EXPECT_EQ(gos[0]->msg.total_requests, 5u);
  auto verdicts = all_of<coord::SetVerdict>(out);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0]->verdict.code, 0);
  EXPECT_TRUE(d.core.running());
  EXPECT_TRUE(d.ready(0).empty());  // no second go
}

TEST(CoordinatorCore, CompleteStaticRunEndsOnceEveryRecordIsIn) {
  Driver d(make_plan(4, 2), 5);
  d.start({0, 1, 2, 3}, {0, 2});
  d.feed(coord::Started{d.now});
  d.records(0, 0, {0, 2});
  d.done(0, 0, 3);  // says 3 were sent: one batch is still on its way
  d.records(2, 1, {1, 3});
  d.done(2, 1, 2);
  EXPECT_EQ(run_end(d.tick()), nullptr);
  d.records(0, 0, {4});
  const coord::RunEnd* end = run_end(d.tick());
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->how, coord::EndHow::kReturn);
  EXPECT_EQ(end->code, kExitOk);
  EXPECT_TRUE(end->complete);
  EXPECT_EQ(end->reason, "");
  EXPECT_EQ(end->console_line, "");
  EXPECT_TRUE(end->write_reports);
  EXPECT_EQ(d.core.collector().received(), 5u);
  EXPECT_TRUE(d.core.replicas()[0].done);
  EXPECT_TRUE(d.core.ended());
  EXPECT_TRUE(d.tick().empty());  // nothing after the end
}

TEST(CoordinatorCore, DynamicDispatchServesRequestsInOrderUntilExhausted) {
  Driver d(make_plan(2, 1, Dispatch::kDynamic), 5);
  auto& out = d.start({0, 1}, {0, 1});
  auto gos = all_of<coord::SendGo>(out);
  ASSERT_EQ(gos.size(), 2u);
  EXPECT_TRUE(gos[0]->msg.dynamic);
  EXPECT_TRUE(gos[0]->msg.shard.empty());
  auto serve = [&](int rank, int max) {
    auto works = all_of<coord::SendWork>(d.control(rank, wire::WorkRequestMsg{max}));
    EXPECT_EQ(works.size(), 1u);
    EXPECT_EQ(works[0]->leader_rank, rank);
    return works[0]->msg;
  };
  wire::WorkMsg a = serve(0, 3);
  ASSERT_EQ(a.requests.size(), 3u);
  EXPECT_EQ(a.requests[0].id, 0u);
  EXPECT_EQ(a.requests[2].id, 2u);
  EXPECT_FALSE(a.exhausted);
  wire::WorkMsg b = serve(1, 0);  // asks for none: gets one
  ASSERT_EQ(b.requests.size(), 1u);
  EXPECT_EQ(b.requests[0].id, 3u);
  wire::WorkMsg c = serve(1, 8);
  ASSERT_EQ(c.requests.size(), 1u);
  EXPECT_EQ(c.requests[0].id, 4u);
  EXPECT_TRUE(c.exhausted);
  EXPECT_TRUE(serve(0, 2).requests.empty());
}

std::vector<uint64_t> ids_of(const wire::WorkMsg& work) {
  std::vector<uint64_t> ids;
  for (const auto& r : work.requests) ids.push_back(r.id);
  return ids;
}

// Open loop, dynamic: each request goes out when a tick finds it due within the lead, to the
// replica with the fewest in flight, with its scheduled time; work requests get no answer.
TEST(CoordinatorCore, OpenLoopDynamicSendsEachRequestAheadOfItsTimeToTheLeastLoaded) {
  constexpr int64_t kMs = 1'000'000;
  std::vector<WorkloadRequest> requests = make_requests(6);
  const int64_t at_ms[] = {0, 50, 150, 170, 300, 1000};
  for (int i = 0; i < 6; ++i) requests[i].scheduled_ns = at_ms[i] * kMs;
  CoordinatorPlan plan = make_plan(2, 1, Dispatch::kDynamic);
  plan.options.heartbeat_timeout_s = 100;  // no heartbeats in this test
  CoordinatorCore core(std::move(plan), std::move(requests));
  ASSERT_TRUE(core.open_loop());
  std::vector<coord::Action> out;
  auto feed = [&](int64_t now, coord::Event e) -> std::vector<coord::Action>& {
    out.clear();
    core.handle(now, std::move(e), out);
    return out;
  };
  const int64_t t0 = 5 * kSecond;
  for (int r : {0, 1}) {
    feed(0, coord::Control{r, coord::Hello{{}, -1}});
    feed(0, coord::Control{r, wire::ReadyMsg{}});
  }
  EXPECT_TRUE(all_of<coord::SendWork>(feed(t0 - kMs, coord::Tick{})).empty());  // no t0 yet
  feed(t0, coord::Started{t0});
  // A work request is not how requests go out in open loop.
  EXPECT_TRUE(feed(t0, coord::Control{0, wire::WorkRequestMsg{8}}).empty());

  auto works = all_of<coord::SendWork>(feed(t0, coord::Tick{}));  // due by 100 ms: 0 and 1
  ASSERT_EQ(works.size(), 2u);
  EXPECT_EQ(works[0]->leader_rank, 0);
  EXPECT_EQ(ids_of(works[0]->msg), (std::vector<uint64_t>{0}));
  EXPECT_EQ(works[1]->leader_rank, 1);
  EXPECT_EQ(ids_of(works[1]->msg), (std::vector<uint64_t>{1}));
  EXPECT_EQ(works[1]->msg.requests[0].scheduled_ns, 50 * kMs);  // kept as scheduled
  EXPECT_FALSE(works[0]->msg.exhausted);

  // Replica 1 finished request 1: both of the next two due (150, 170 ms) go to it first and
  // then, tied, to the lower replica.
  feed(t0 + 60 * kMs, coord::Records{1, wire::RecordBatchMsg{1, 0, {record_of(1, 1)}}});
  works = all_of<coord::SendWork>(feed(t0 + 80 * kMs, coord::Tick{}));
  ASSERT_EQ(works.size(), 2u);
  EXPECT_EQ(works[0]->leader_rank, 0);
  EXPECT_EQ(ids_of(works[0]->msg), (std::vector<uint64_t>{3}));
  EXPECT_EQ(works[1]->leader_rank, 1);
  EXPECT_EQ(ids_of(works[1]->msg), (std::vector<uint64_t>{2}));
  // 300 ms is not due at 199 ms.
  EXPECT_TRUE(all_of<coord::SendWork>(feed(t0 + 199 * kMs, coord::Tick{})).empty());
  // Replica 0 has 2 in flight, replica 1 has 1.
  works = all_of<coord::SendWork>(feed(t0 + 200 * kMs, coord::Tick{}));
  ASSERT_EQ(works.size(), 1u);
  EXPECT_EQ(works[0]->leader_rank, 1);
  EXPECT_EQ(ids_of(works[0]->msg), (std::vector<uint64_t>{4}));
  // The last request: every replica is told nothing more comes.
  feed(t0 + 500 * kMs, coord::Records{0, wire::RecordBatchMsg{0, 0, {record_of(0, 0)}}});
  works = all_of<coord::SendWork>(feed(t0 + 900 * kMs, coord::Tick{}));
  ASSERT_EQ(works.size(), 2u);
  EXPECT_EQ(works[0]->leader_rank, 0);  // 1 in flight against replica 1's 2
  EXPECT_EQ(ids_of(works[0]->msg), (std::vector<uint64_t>{5}));
  EXPECT_TRUE(works[0]->msg.exhausted);
  EXPECT_EQ(works[1]->leader_rank, 1);
  EXPECT_TRUE(works[1]->msg.requests.empty());
  EXPECT_TRUE(works[1]->msg.exhausted);
  EXPECT_TRUE(all_of<coord::SendWork>(feed(t0 + 2 * kSecond, coord::Tick{})).empty());
}

TEST(CoordinatorCore, ClosedLoopOrStaticIsNotOpenLoopDispatch) {
  std::vector<WorkloadRequest> scheduled = make_requests(4);
  for (auto& r : scheduled) r.scheduled_ns = 0;
  EXPECT_FALSE(CoordinatorCore(make_plan(2, 1, Dispatch::kStatic), scheduled).open_loop());
  EXPECT_FALSE(CoordinatorCore(make_plan(2, 1, Dispatch::kDynamic), make_requests(4)).open_loop());
}

TEST(CoordinatorCore, TimeoutStopsEveryLeaderThenEndsWithExitCode3) {
  CoordinatorPlan plan = make_plan(4, 2);
  plan.options.timeout_s = 1;
  Driver d(std::move(plan), 6);
  d.start({0, 1, 2, 3}, {0, 2});
  d.now = kSecond;
  d.feed(coord::Started{d.now});
  d.records(0, 0, {0});
  d.now += kSecond;  // exactly the limit: not past it
  d.beat_all(4);
  EXPECT_TRUE(d.tick().empty());
  d.now += 1;
  auto& out = d.tick();
  auto notices = all_of<coord::Notice>(out);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0]->line,
            "profile_throughput: ended by --timeout after 1 s with 1 of 6 requests done: "
            "stopping every replica; the reports are marked incomplete (exit code 3)");
  auto stops = all_of<coord::SendStop>(out);
  ASSERT_EQ(stops.size(), 2u);
  EXPECT_EQ(stops[0]->leader_rank, 0);
  EXPECT_EQ(stops[1]->leader_rank, 2);
  EXPECT_EQ(stops[0]->reason, "ended by --timeout after 1 s");
  EXPECT_TRUE(d.control(0, wire::WorkRequestMsg{4}).empty());  // no more work once stopping
  d.done(0, 0, 1);
  d.done(2, 1, 0);
  const coord::RunEnd* end = run_end(d.tick());
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->how, coord::EndHow::kReturn);
  EXPECT_EQ(end->code, kExitTimeout);
  EXPECT_FALSE(end->complete);
  EXPECT_EQ(end->reason, "ended by --timeout after 1 s");
  EXPECT_EQ(end->console_line, "");  // the stop line was the announcement
}

TEST(CoordinatorCore, TimeoutWithALeaderThatDoesNotStopAborts) {
  CoordinatorPlan plan = make_plan(4, 2);
  plan.options.timeout_s = 1;
  Driver d(std::move(plan), 6);
  d.start({0, 1, 2, 3}, {0, 2});
  d.feed(coord::Started{0});
  d.now = kSecond + 1;
  d.tick();
  d.done(0, 0, 0);
  // Stuck in a step: named once the step passes --heartbeat-timeout, after the stop reason.
  expect_abort(d.beat(2, 3 * kSecond),
               "ended by --timeout after 1 s, then rank 2 (replica 1, host h2) is stuck in one "
               "engine step: 3 s without finishing it (--heartbeat-timeout 2 s)");

  CoordinatorPlan plan2 = make_plan(4, 2);
  plan2.options.timeout_s = 1;
  Driver f(std::move(plan2), 6);
  f.start({0, 1, 2, 3}, {0, 2});
  f.feed(coord::Started{0});
  f.now = kSecond + 1;
  f.tick();
  f.done(0, 0, 0);
  // Alive but never done: --heartbeat-timeout + 5 s after the stop.
  for (int64_t t = 2; t <= 8; ++t) {
    f.now = t * kSecond;
    f.beat_all(4);
    EXPECT_TRUE(f.tick().empty()) << t;
  }
  f.now += 2;
  expect_abort(f.tick(),
               "ended by --timeout after 1 s, but rank 2 (replica 1, host h2) did not stop "
               "within 7 s: aborting the MPI job");
}

TEST(CoordinatorCore, LostConnectionAbortsNamingTheRankUnlessItSaidBye) {
  Driver d(make_plan(4, 2), 4);
  d.start({0, 1, 2, 3}, {0, 2});                            // rank r's connection is 100 + r
  EXPECT_TRUE(d.feed(coord::ConnectionLost{999}).empty());  // not a rank's connection
  d.control(1, wire::ByeMsg{0});
  EXPECT_TRUE(d.feed(coord::ConnectionLost{101}).empty());  // left normally
  auto& out = d.feed(coord::ConnectionLost{103});
  expect_abort(out, "rank 3 (replica 1, host h3) died: its connection to the coordinator closed");
  ASSERT_NE(run_end(out), nullptr);
  EXPECT_TRUE(run_end(out)->await_signal);
  // After the end only records and signals are taken.
  EXPECT_TRUE(d.feed(coord::ConnectionLost{102}).empty());
  d.records(0, 0, {0});
  EXPECT_EQ(d.core.collector().received(), 1u);
}

TEST(CoordinatorCore, FailedByeAndErrorWhileRunningAbort) {
  Driver d(make_plan(4, 2), 4);
  d.start({0, 1, 2, 3}, {0, 2});
  expect_abort(d.control(3, wire::ByeMsg{7}), "rank 3 (replica 1, host h3) failed (exit code 7)");
  Driver e(make_plan(4, 2), 4);
  e.start({0, 1, 2, 3}, {0, 2});
  expect_abort(e.control(2, wire::ErrorMsg{1, 1, "CUDA out of memory"}),
               "rank 2 (replica 1, host h2) failed: CUDA out of memory");
}

TEST(CoordinatorCore, SilentRankAbortsAfterTheHeartbeatTimeout) {
  Driver d(make_plan(4, 2), 4);
  d.start({0, 1, 2, 3}, {0, 2});
  d.now = 2 * kSecond;  // exactly --heartbeat-timeout since the last message of ranks 0, 1, 3
  d.beat(2);
  EXPECT_TRUE(d.tick().empty());
  d.now += 1;
  for (int r : {0, 2, 3}) d.beat(r);
  expect_abort(d.tick(),
               "rank 1 (replica 0, host h1) stopped answering: no heartbeat for 2 s "
               "(--heartbeat-timeout)");
}

TEST(CoordinatorCore, RankThatNeverConnectsIsNamedWithTheEndpoint) {
  Driver d(make_plan(2, 1), 4);
  d.hello(0);
  d.now = 2 * kSecond + 1;
  d.beat(0);
  auto& out = d.tick();
  expect_abort(out,
               "rank 1 (replica 1, host h1) never connected to the coordinator at tcp://h0:5555 "
               "within --heartbeat-timeout 2 s (check --coordinator-addr)");
  ASSERT_NE(run_end(out), nullptr);
  EXPECT_FALSE(run_end(out)->await_signal);
}

TEST(CoordinatorCore, StartupTimeoutNamesEveryRankStillStarting) {
  CoordinatorPlan plan = make_plan(4, 2);
  plan.options.startup_timeout_s = 2;
  Driver d(std::move(plan), 4);
  for (int r : {0, 1, 2, 3}) d.hello(r);
  d.ready(0);
  d.beat(1, 0, true);
  d.beat(3, 0, false);
  d.now = 2 * kSecond;
  EXPECT_TRUE(d.tick().empty());
  d.now = 2'500'000'000;
  for (int r : {0, 1, 2, 3}) d.beat(r, 0, r != 3);
  expect_abort(d.tick(),
               "rank 2 (replica 1, host h2), rank 3 (replica 1, host h3) still starting after "
               "2.5 s (--startup-timeout 2 s)");
}

TEST(CoordinatorCore, StartupTimeoutWhenTheBarrierNeverPasses) {
  CoordinatorPlan plan = make_plan(2, 1);
  plan.options.startup_timeout_s = 2;
  plan.options.heartbeat_timeout_s = 100;
  Driver d(std::move(plan), 4);
  d.start({0, 1}, {0, 1});
  d.now = 12 * kSecond;  // the limit plus the 10 s barrier grace: not past it
  EXPECT_TRUE(d.tick().empty());
  d.now = 12'500'000'000;
  expect_abort(d.tick(),
               "every rank is ready but the start barrier has not passed after 12.5 s "
               "(--startup-timeout 2 s)");
  // Once t0 is known start-up is over.
  CoordinatorPlan plan2 = make_plan(2, 1);
  plan2.options.startup_timeout_s = 2;
  plan2.options.heartbeat_timeout_s = 100;
  Driver e(std::move(plan2), 4);
  e.start({0, 1}, {0, 1});
  e.feed(coord::Started{kSecond});
  e.now = 20 * kSecond;
  EXPECT_TRUE(e.tick().empty());
}

TEST(CoordinatorCore, VersionMismatchRefusesTheStartAndAbortsTheReadyLeaders) {
  Driver d(make_plan(4, 2), 4);
  for (int r : {0, 1, 2}) d.hello(r);
  d.ready(0);
  const std::string line =
      "rank 3 (replica 1, host h3) speaks tpbench wire protocol version 99, the coordinator "
      "speaks version " +
      std::to_string(wire::kProtocolVersion) + ": every rank must run the same tpbench build";
  auto& out = d.control(3, coord::OtherVersion{99});
  auto aborts = all_of<coord::SendAbort>(out);
  ASSERT_EQ(aborts.size(), 1u);  // rank 3 is a follower: only the ready leader 0 is told
  EXPECT_EQ(aborts[0]->leader_rank, 0);
  EXPECT_EQ(aborts[0]->reason, line);
  auto verdicts = all_of<coord::SetVerdict>(out);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0]->verdict.code, kExitRunFailed);
  EXPECT_EQ(verdicts[0]->verdict.message, line);
  EXPECT_EQ(run_end(out), nullptr);  // the main thread ends the start, not the coordinator
  // A leader that becomes ready later is told the run did not start; no go, ever.
  d.hello(3);
  auto& later = d.ready(2);
  aborts = all_of<coord::SendAbort>(later);
  ASSERT_EQ(aborts.size(), 1u);
  EXPECT_EQ(aborts[0]->leader_rank, 2);
  EXPECT_EQ(aborts[0]->reason, "the run did not start");
  EXPECT_TRUE(all_of<coord::SendGo>(later).empty());
  // A leader of another version is answered itself (it waits for go or abort).
  Driver e(make_plan(4, 2), 4);
  aborts = all_of<coord::SendAbort>(e.control(2, coord::OtherVersion{3}));
  ASSERT_EQ(aborts.size(), 1u);
  EXPECT_EQ(aborts[0]->leader_rank, 2);
}

TEST(CoordinatorCore, VersionMismatchOnceRunningAborts) {
  Driver d(make_plan(2, 1), 4);
  d.start({0, 1}, {0, 1});
  expect_abort(d.feed(coord::Records{1, coord::OtherVersion{5}}),
               "rank 1 (replica 1, host h1) speaks tpbench wire protocol version 5, the "
               "coordinator speaks version " +
                   std::to_string(wire::kProtocolVersion) +
                   ": every rank must run the same tpbench build");
}

TEST(CoordinatorCore, MalformedAtStartRefusesTheStartNamingTheDefect) {
  Driver d(make_plan(2, 1), 4);
  auto& out = d.control(1, coord::Malformed{"bad header"});
  auto verdicts = all_of<coord::SetVerdict>(out);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0]->verdict.message,
            "rank 1 (replica 1, host h1) sent a malformed message: bad header");
}

TEST(CoordinatorCore, IgnoredMessagesAreWarnedAbout) {
  Driver d(make_plan(4, 2), 4);
  auto warns = all_of<coord::Warn>(d.control(-1, coord::Undecoded{}));
  ASSERT_EQ(warns.size(), 1u);
  EXPECT_EQ(warns[0]->text, "message from an unidentified peer ignored");
  warns = all_of<coord::Warn>(d.control(1, coord::ClaimsOtherRank{3}));
  ASSERT_EQ(warns.size(), 1u);
  EXPECT_EQ(warns[0]->text, "rank 1 (replica 0, host h1) claimed to be rank 3; ignored");
  warns = all_of<coord::Warn>(d.feed(coord::Records{1, coord::Undecoded{}}));
  ASSERT_EQ(warns.size(), 1u);
  EXPECT_EQ(warns[0]->text, "record batch from a rank that leads no replica ignored");
}

TEST(CoordinatorCore, RejectedOrMissingRecordsEndTheRunAsFailed) {
  Driver d(make_plan(2, 1), 3);
  d.start({0, 1}, {0, 1});
  d.records(0, 0, {0, 0});  // the second is a duplicate
  d.done(0, 0, 2);
  d.done(1, 1, 0);
  const coord::RunEnd* end = run_end(d.tick());
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->how, coord::EndHow::kReturn);
  EXPECT_EQ(end->code, kExitRunFailed);
  EXPECT_EQ(end->reason, "1 records rejected, first: second record for request id 0");
  EXPECT_EQ(end->console_line, "profile_throughput: error: " + end->reason);

  Driver e(make_plan(2, 1), 3);
  e.start({0, 1}, {0, 1});
  e.records(0, 0, {0});
  e.done(0, 0, 1);
  e.done(1, 1, 0);
  end = run_end(e.tick());
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->reason, "only 1 of 3 requests were reported");
  EXPECT_EQ(end->code, kExitRunFailed);
}

TEST(CoordinatorCore, InterruptEndsAtOnceAndReportsUnlessFinished) {
  Driver d(make_plan(2, 1), 3);
  d.start({0, 1}, {0, 1});
  d.records(0, 0, {0});
  const coord::RunEnd* end = run_end(d.feed(coord::Interrupted{15, "SIGTERM"}));
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->how, coord::EndHow::kExitNow);
  EXPECT_EQ(end->code, 143);
  EXPECT_EQ(end->reason, "interrupted by SIGTERM");
  EXPECT_EQ(end->console_line,
            "profile_throughput: interrupted by SIGTERM with 1 of 3 requests done: the reports "
            "are marked incomplete (exit code 143)");
  EXPECT_TRUE(end->write_reports);
  // A fault first, then the signal (the shell asks once it sees the signal): still reported.
  Driver e(make_plan(2, 1), 3);
  e.start({0, 1}, {0, 1});
  e.control(1, wire::ByeMsg{9});
  end = run_end(e.feed(coord::Interrupted{2, "SIGINT"}));
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->code, 130);
  EXPECT_TRUE(end->write_reports);
  // After a finished run the reports are out already.
  Driver f(make_plan(2, 1), 1);
  f.start({0, 1}, {0, 1});
  f.records(0, 0, {0});
  f.done(0, 0, 1);
  f.done(1, 1, 0);
  ASSERT_NE(run_end(f.tick()), nullptr);
  end = run_end(f.feed(coord::Interrupted{2, "SIGINT"}));
  ASSERT_NE(end, nullptr);
  EXPECT_FALSE(end->write_reports);
}

TEST(CoordinatorCore, InternalErrorIsAFault) {
  Driver d(make_plan(2, 1), 3);
  expect_abort(d.feed(coord::InternalError{"msgpack: insufficient bytes"}),
               "coordinator: msgpack: insufficient bytes");
}

// 10,000 single-rank replicas through a whole run: hello, heartbeat, ready, then (dynamic) work
// requests answered with work, record batches and done, or (static) go with every shard.
// Asserts that every record is collected and the run ends complete; prints the cost per message
// (not asserted: this machine's load decides it).
// Open loop: 100,000 requests/s over the cluster, pushed by the coordinator on its ticks.
void drive_many_replicas(Dispatch dispatch, bool open_loop = false) {
  constexpr int kReplicas = 10'000;
  constexpr uint64_t kRequests = 100'000;
  constexpr int kSlots = 4;
  CoordinatorPlan plan = make_plan(kReplicas, 1, dispatch, kReplicas * kSlots);
  std::vector<WorkloadRequest> requests = make_requests(kRequests);
  if (open_loop)
    for (auto& r : requests) r.scheduled_ns = static_cast<int64_t>(r.id) * 10'000;
  CoordinatorCore core(std::move(plan), std::move(requests));
  EXPECT_EQ(core.open_loop(), open_loop);
  std::vector<coord::Action> out;
  uint64_t messages = 0;
  int64_t now = 0;
  std::vector<std::vector<WorkloadRequest>> pending(kReplicas);  // sent, no record yet
  std::vector<uint64_t> sent(kReplicas, 0);
  std::vector<bool> exhausted(kReplicas, dispatch == Dispatch::kStatic);
  // The actions go where a leader's socket would take them.
  auto deliver = [&](std::vector<coord::Action>& actions) {
    for (auto& a : actions) {
      if (auto* go = std::get_if<coord::SendGo>(&a)) {
        for (auto& r : go->msg.shard) pending[go->leader_rank].push_back(std::move(r));
      } else if (auto* work = std::get_if<coord::SendWork>(&a)) {
        for (auto& r : work->msg.requests) pending[work->leader_rank].push_back(std::move(r));
        if (work->msg.exhausted) exhausted[work->leader_rank] = true;
      } else if (auto* end = std::get_if<coord::RunEnd>(&a)) {
        ADD_FAILURE() << "early end: " << end->reason;
      }
    }
    actions.clear();
  };
  double core_ns = 0;  // inside CoordinatorCore::handle only, clock reads included
  auto handle = [&](coord::Event e) {
    const auto begin = std::chrono::steady_clock::now();
    core.handle(now, std::move(e), out);
    core_ns +=
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - begin).count();
    ++messages;
  };
  auto feed = [&](coord::Event e) {
    handle(std::move(e));
    deliver(out);
  };

  feed(coord::Listening{});
  for (int r = 0; r < kReplicas; ++r) {
    wire::HelloMsg hello;
    hello.rank = r;
    feed(coord::Control{r, coord::Hello{hello, 1000 + r}});
    wire::HeartbeatMsg beat;
    beat.engine_ready = true;
    feed(coord::Control{r, beat});
  }
  for (int r = 0; r < kReplicas; ++r) feed(coord::Control{r, wire::ReadyMsg{r, kSlots, "sim", 0}});
  feed(coord::Started{now});
  bool all_done = false;
  while (!all_done) {
    now += 1'000'000;
    all_done = true;
    for (int r = 0; r < kReplicas; ++r) {
      if (!open_loop && !exhausted[r] && pending[r].size() < static_cast<size_t>(kSlots))
        feed(coord::Control{r, wire::WorkRequestMsg{kSlots - static_cast<int>(pending[r].size())}});
      // One record batch per round: the requests in flight (up to its slots) finish.
      const size_t n = std::min<size_t>(pending[r].size(), kSlots);
      if (n > 0) {
        wire::RecordBatchMsg batch;
        batch.replica = r;
        batch.seq = sent[r];
        for (size_t i = 0; i < n; ++i) batch.records.push_back(record_of(pending[r][i].id, r));
        pending[r].erase(pending[r].begin(), pending[r].begin() + static_cast<ptrdiff_t>(n));
        sent[r] += n;
        feed(coord::Records{r, std::move(batch)});
      }
      if (!exhausted[r] || !pending[r].empty()) all_done = false;
    }
    feed(coord::Tick{});
  }
  for (int r = 0; r < kReplicas; ++r) {
    feed(coord::Control{r, wire::DoneMsg{r, sent[r], {}}});
    feed(coord::Control{r, wire::ByeMsg{0}});
  }
  handle(coord::Tick{});

  const coord::RunEnd* end = run_end(out);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->how, coord::EndHow::kReturn);
  EXPECT_EQ(end->code, kExitOk);
  EXPECT_TRUE(end->complete) << end->reason;
  EXPECT_EQ(core.collector().received(), kRequests);
  EXPECT_EQ(core.collector().rejected(), 0u);
  uint64_t total_sent = 0;
  for (uint64_t s : sent) total_sent += s;
  EXPECT_EQ(total_sent, kRequests);
  std::printf(
      "coordinator core, %s dispatch: %d replicas, %llu requests, %llu messages, "
      "%.3f s inside the core: %.0f ns/message\n",
      open_loop                        ? "open-loop dynamic"
      : dispatch == Dispatch::kDynamic ? "dynamic"
                                       : "static",
      kReplicas, static_cast<unsigned long long>(kRequests),
      static_cast<unsigned long long>(messages), core_ns * 1e-9,
      core_ns / static_cast<double>(messages));
}

TEST(CoordinatorCoreAtScale, TenThousandReplicasDynamic) {
  drive_many_replicas(Dispatch::kDynamic);
}

TEST(CoordinatorCoreAtScale, TenThousandReplicasStatic) {
  drive_many_replicas(Dispatch::kStatic);
}

TEST(CoordinatorCoreAtScale, TenThousandReplicasOpenLoopDynamic) {
  drive_many_replicas(Dispatch::kDynamic, /*open_loop=*/true);
}

}  // namespace
}  // namespace tpbench
