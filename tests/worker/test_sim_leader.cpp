#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/error.hpp"
#include "engine/comm/communicator.hpp"
#include "engine/scheduler/kv_capacity.hpp"
#include "engine/scheduler/step_shape.hpp"
#include "engine/sim/sim_engine.hpp"
#include "engine/sim/sim_model_runner.hpp"
#include "engine/sim/step_time_model.hpp"
#include "worker/leader.hpp"

namespace tpbench {
namespace {

class SoloComm final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_sum(float*, size_t) override {}
  void broadcast(void*, size_t, int) override {}
  void all_gather(const float* s, float* r, size_t n) override { std::copy(s, s + n, r); }
  void barrier() override {}
};

EngineOptions sim_options(int max_batch) {
  EngineOptions o;
  o.backend = Backend::kSim;
  o.max_batch_size = max_batch;
  o.sim_step_ms = 0;
  return o;
}

EngineRequest req(uint64_t id, int prompt, int out) {
  EngineRequest r;
  r.id = id;
  r.prompt.assign(prompt, 7);
  r.max_new_tokens = out;
  return r;
}

// The sim backend is the batched engine with SimModelRunner: admission, chunking and
// preemption are the real scheduler's.
TEST(SimBackend, PrefillThenOneTokenPerStepWithinMaxBatch) {
  SoloComm comm;
  auto e = make_sim_engine(sim_options(2), comm);
  e->add(req(0, 5, 3));
  e->add(req(1, 6, 1));
  e->add(req(2, 7, 2));
  EXPECT_EQ(e->pending(), 3u);
  StepResult s1 = e->step();  // admits 0 and 1 (max batch 2)
  ASSERT_EQ(s1.tokens.size(), 2u);
  EXPECT_EQ(s1.tokens[0].request_id, 0u);
  EXPECT_FALSE(s1.tokens[0].finished);
  EXPECT_EQ(s1.tokens[1].request_id, 1u);
  EXPECT_TRUE(s1.tokens[1].finished);
  StepResult s2 = e->step();  // 0 decodes, 2 is admitted
  ASSERT_EQ(s2.tokens.size(), 2u);
  EXPECT_EQ(s2.tokens[1].request_id, 2u);
  StepResult s3 = e->step();
  ASSERT_EQ(s3.tokens.size(), 2u);
  EXPECT_TRUE(s3.tokens[0].finished);
  EXPECT_TRUE(s3.tokens[1].finished);
  EXPECT_EQ(e->pending(), 0u);
  EXPECT_TRUE(e->step().tokens.empty());
  EngineStats st = e->stats();
  EXPECT_EQ(st.steps, 3);
  EXPECT_EQ(st.prefill_tokens, 5 + 6 + 7);
  EXPECT_EQ(st.decode_tokens, 0 + 1 + 2);
  EXPECT_EQ(st.preemptions, 0);
  EXPECT_EQ(st.kv_blocks_total, kMaxKvBlocks);  // unbounded by default
}

TEST(SimBackend, MaxPrefillTokensChunksThePrompt) {
  SoloComm comm;
  EngineOptions o = sim_options(8);
  o.max_prefill_tokens = 10;
  auto e = make_sim_engine(o, comm);
  e->add(req(0, 8, 2));
  e->add(req(1, 8, 2));
  EXPECT_EQ(e->step().tokens.size(), 1u);  // 8 + 2 of the second prompt; it has no token yet
  EXPECT_EQ(e->stats().prefill_tokens, 10);
  EXPECT_EQ(e->step().tokens.size(), 2u);  // the first decodes, the second's last 6 tokens
  EXPECT_EQ(e->stats().prefill_tokens, 16);
}

TEST(SimBackend, NonPositiveOutputIsAFailure) {
  SoloComm comm;
  auto e = make_sim_engine(sim_options(4), comm);
  e->add(req(3, 4, 0));
  StepResult s = e->step();
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].request_id, 3u);
}

// Runs every request to the end; returns each request's tokens.
std::map<uint64_t, std::vector<int32_t>> run_all(Engine& e, int requests) {
  for (int i = 0; i < requests; ++i) e.add(req(static_cast<uint64_t>(i), 40 + i % 50, 30 + i % 7));
  std::map<uint64_t, std::vector<int32_t>> out;
  while (e.pending() > 0) {
    StepResult s = e.step();
    EXPECT_TRUE(s.failures.empty());
    for (const auto& t : s.tokens) out[t.request_id].push_back(t.token);
  }
  return out;
}

// A model directory holding only config.json (all the bounded sim reads): 2 layers x 2 KV heads
// x head_dim 8, so 2 x 2 x 2 x 8 x 2 bytes = 128 bytes of KV per token at 2-byte elements.
std::string tiny_model_dir() {
  const std::string dir = ::testing::TempDir() + "/sim_tiny_model";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << R"({"model_type": "llama", "hidden_size": 32,
    "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "vocab_size": 300, "max_position_embeddings": 4096,
    "rms_norm_eps": 1e-5})";
  return dir;
}

TEST(SimBackend, BoundedKvCachePreemptsAndKeepsTheTokens) {
  SoloComm comm;
  auto unbounded = make_sim_engine(sim_options(64), comm);
  const auto reference = run_all(*unbounded, 40);
  EXPECT_EQ(unbounded->stats().preemptions, 0);

  EngineOptions o = sim_options(64);
  o.model_dir = tiny_model_dir();
  o.cache_block_seq_len = 16;
  o.kv_cache_bytes = 128 * 16 * 40;  // 40 blocks of 16 tokens: a handful of requests at a time
  auto bounded = make_sim_engine(o, comm);
  EXPECT_EQ(bounded->stats().kv_blocks_total, 40);
  EXPECT_NE(bounded->describe().find("128 bytes/token"), std::string::npos) << bounded->describe();
  const auto tokens = run_all(*bounded, 40);
  EXPECT_GT(bounded->stats().preemptions, 0);
  ASSERT_EQ(tokens.size(), reference.size());
  for (const auto& [id, ids] : tokens) {
    // The bounded run draws from the model's vocabulary, the same hash of (request, position).
    const auto& want = reference.at(id);
    ASSERT_EQ(ids.size(), want.size()) << "request " << id;
    for (size_t i = 0; i < ids.size(); ++i) {
      const int64_t pos = 40 + static_cast<int64_t>(id % 50) + static_cast<int64_t>(i);
      EXPECT_EQ(ids[i], sim_token(id, pos, 300));
      EXPECT_EQ(want[i], sim_token(id, pos, kSimDefaultVocab));
    }
  }
}

TEST(SimBackend, KvCacheBytesNeedsAModelConfig) {
  SoloComm comm;
  EngineOptions o = sim_options(4);
  o.kv_cache_bytes = 1 << 20;
  EXPECT_THROW(make_sim_engine(o, comm), InputError);
  o.model_dir = ::testing::TempDir() + "/no_such_model";
  EXPECT_THROW(make_sim_engine(o, comm), InputError);
}

TEST(SimBackend, StepTimeModels) {
  EngineOptions o;
  StepShape shape;
  shape.tokens = 100;
  o.sim_base_ms = 2;
  o.sim_per_token_us = 30;
  EXPECT_EQ(StepTimeModel(o).step_ns(shape), 2'000'000 + 3'000'000);
  o.sim_step_ms = 0.5;
  EXPECT_EQ(StepTimeModel(o).step_ns(shape), 500'000);
  o.sim_step_ms = -1;
  o.sim_base_ms = -1;
  EXPECT_THROW(StepTimeModel{o}, InputError);
}

TEST(SimBackend, StepShapeCountsContextReads) {
  StepPlan plan;
  plan.seqs.resize(2);
  plan.seqs[0].tokens = {1, 2, 3};  // prefill chunk at 4..6: reads 5 + 6 + 7 positions
  plan.seqs[0].start_pos = 4;
  plan.seqs[1].tokens = {9};  // decode at 10: reads 11
  plan.seqs[1].start_pos = 10;
  plan.seqs[1].want_logits = true;
  const StepShape s = step_shape(plan);
  EXPECT_EQ(s.tokens, 4);
  EXPECT_EQ(s.seqs, 2);
  EXPECT_EQ(s.prefill_tokens, 3);
  EXPECT_EQ(s.context_tokens, 5 + 6 + 7 + 11);
}

// Counts what the leader keeps in flight.
class WatchedEngine final : public EngineDecorator {
 public:
  using EngineDecorator::EngineDecorator;
  void add(EngineRequest r) override {
    inner_->add(std::move(r));
    max_pending = std::max(max_pending, inner_->pending());
  }
  void run_follower() override {}
  size_t max_pending = 0;
};

class Sink final : public RecordSink {
 public:
  void push_records(wire::RecordBatchMsg& b) override {
    ++batches;
    EXPECT_EQ(b.seq, static_cast<uint64_t>(batches - 1));
    for (auto& r : b.records) records.push_back(r);
  }
  int batches = 0;
  std::vector<RequestRecord> records;
};

std::vector<WorkloadRequest> workload(int n) {
  std::vector<WorkloadRequest> w;
  for (int i = 0; i < n; ++i) {
    WorkloadRequest r;
    r.id = static_cast<uint64_t>(i);
    r.prompt_len = 4 + i % 5;
    r.prompt_ids.assign(r.prompt_len, 3);
    r.output_len = 1 + i % 7;
    w.push_back(r);
  }
  return w;
}

void expect_every_request_once(const std::vector<RequestRecord>& records,
                               const std::vector<WorkloadRequest>& w, bool tokens) {
  ASSERT_EQ(records.size(), w.size());
  std::map<uint64_t, const RequestRecord*> by_id;
  for (const auto& r : records) EXPECT_TRUE(by_id.emplace(r.id, &r).second) << "id " << r.id;
  for (const auto& q : w) {
    const RequestRecord& r = *by_id.at(q.id);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.output_tokens, q.output_len);
    EXPECT_EQ(r.prompt_tokens, q.prompt_len);
    EXPECT_EQ(r.token_ns.size(), static_cast<size_t>(q.output_len));
    EXPECT_EQ(r.token_ns.front(), r.first_token_ns);
    EXPECT_EQ(r.token_ns.back(), r.finish_ns);
    EXPECT_TRUE(std::is_sorted(r.token_ns.begin(), r.token_ns.end()));
    EXPECT_LE(r.submit_ns, r.first_token_ns);
    EXPECT_EQ(r.token_ids.size(), tokens ? static_cast<size_t>(q.output_len) : 0u);
  }
}

TEST(LeaderLoop, StaticShardClosedLoop) {
  SoloComm comm;
  WatchedEngine engine(make_sim_engine(sim_options(64), comm));
  LeaderConfig cfg;
  cfg.replica = 0;
  cfg.slots = 5;
  cfg.record_tokens = true;
  cfg.batch_records = 8;
  wire::GoMsg go;
  go.shard = workload(53);
  Sink sink;
  RunClock clock;
  LeaderResult res = run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  EXPECT_EQ(res.records_sent, 53u);
  EXPECT_EQ(res.completed, 53u);
  EXPECT_EQ(engine.max_pending, 5u);  // never more than the slots
  EXPECT_GE(sink.batches, 7);
  expect_every_request_once(sink.records, go.shard, true);
}

class ListWork final : public WorkSource {
 public:
  explicit ListWork(std::vector<WorkloadRequest> w) : w_(std::move(w)) {}
  void request_work(int n) override {
    EXPECT_FALSE(outstanding_);
    outstanding_ = true;
    want_ = n;
  }
  std::optional<wire::WorkMsg> poll_work(int) override {
    if (!outstanding_) return std::nullopt;
    outstanding_ = false;
    wire::WorkMsg m;
    for (int i = 0; i < want_ && next_ < w_.size(); ++i) m.requests.push_back(w_[next_++]);
    m.exhausted = next_ >= w_.size();
    ++served;
    return m;
  }
  int served = 0;

 private:
  std::vector<WorkloadRequest> w_;
  size_t next_ = 0;
  bool outstanding_ = false;
  int want_ = 0;
};

TEST(LeaderLoop, DynamicPullsSmallBatches) {
  SoloComm comm;
  WatchedEngine engine(make_sim_engine(sim_options(64), comm));
  LeaderConfig cfg;
  cfg.slots = 3;
  wire::GoMsg go;
  go.dynamic = true;
  auto w = workload(40);
  ListWork work(w);
  Sink sink;
  RunClock clock;
  LeaderResult res = run_leader_loop(engine, cfg, go, sink, &work, clock);
  EXPECT_EQ(res.records_sent, 40u);
  EXPECT_LE(engine.max_pending, 3u);
  EXPECT_GE(work.served, 40 / 3);
  expect_every_request_once(sink.records, w, false);
}

TEST(LeaderLoop, DynamicWithoutSlotsTakesNoWork) {
  SoloComm comm;
  WatchedEngine engine(make_sim_engine(sim_options(64), comm));
  LeaderConfig cfg;
  cfg.slots = 0;
  wire::GoMsg go;
  go.dynamic = true;
  ListWork work(workload(5));
  Sink sink;
  RunClock clock;
  LeaderResult res = run_leader_loop(engine, cfg, go, sink, &work, clock);
  EXPECT_EQ(work.served, 0);
  EXPECT_EQ(res.completed, 0u);
}

// Says stop once the engine has run `after` steps.
class StopAfterSteps final : public StopSignal {
 public:
  StopAfterSteps(const Engine& engine, int64_t after) : engine_(engine), after_(after) {}
  bool stop_requested() override { return engine_.stats().steps >= after_; }

 private:
  const Engine& engine_;
  int64_t after_;
};

TEST(LeaderLoop, StopEndsTheLoopAndAbandonsWhatIsInFlight) {
  SoloComm comm;
  WatchedEngine engine(make_sim_engine(sim_options(64), comm));
  StopAfterSteps stop(engine, 4);
  LeaderConfig cfg;
  cfg.slots = 5;
  cfg.stop = &stop;
  wire::GoMsg go;
  go.shard = workload(53);
  Sink sink;
  RunClock clock;
  LeaderResult res = run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  EXPECT_TRUE(res.stopped);
  EXPECT_EQ(engine.stats().steps, 4);
  EXPECT_GT(res.completed, 0u);
  EXPECT_LT(res.completed, 53u);
  EXPECT_EQ(res.completed + res.abandoned, 53u);
  EXPECT_EQ(res.records_sent, res.completed);  // every ended request is sent, no other
  ASSERT_EQ(sink.records.size(), res.completed);
  for (const auto& r : sink.records) EXPECT_EQ(r.output_tokens, go.shard[r.id].output_len);
}

// Open loop: request i of `w` is due at scheduled[i].
std::vector<WorkloadRequest> scheduled(std::vector<WorkloadRequest> w,
                                       const std::vector<int64_t>& at) {
  for (size_t i = 0; i < w.size(); ++i) w[i].scheduled_ns = at[i];
  return w;
}

std::map<uint64_t, RequestRecord> by_id(const std::vector<RequestRecord>& records) {
  std::map<uint64_t, RequestRecord> m;
  for (const auto& r : records) EXPECT_TRUE(m.emplace(r.id, r).second) << "id " << r.id;
  return m;
}

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kLagBound = 500 * kMs;  // a sanity bound on a shared machine, not a claim

TEST(LeaderLoop, OpenLoopTakesRequestsInAtTheirScheduledTimes) {
  SoloComm comm;
  EngineOptions o = sim_options(64);
  o.sim_step_ms = 2;  // arrivals land while a step runs; they are not late for it
  WatchedEngine engine(make_sim_engine(o, comm));
  LeaderConfig cfg;
  cfg.slots = 3;  // not a limit in open loop
  std::vector<int64_t> at;
  for (int i = 0; i < 30; ++i) at.push_back(3 * kMs + (i / 3) * 7 * kMs + (i % 3) * 500'000);
  wire::GoMsg go;
  go.shard = scheduled(workload(30), at);
  Sink sink;
  RunClock clock;
  LeaderResult res = run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  EXPECT_EQ(res.completed, 30u);
  expect_every_request_once(sink.records, go.shard, false);
  for (const auto& [id, r] : by_id(sink.records)) {
    EXPECT_EQ(r.scheduled_ns, at[id]);
    EXPECT_EQ(r.queue_ns, 0);
    const int64_t lag = r.submit_ns - r.scheduled_ns - r.queue_ns;
    EXPECT_GE(lag, 0) << id;
    EXPECT_LT(lag, kLagBound) << id;
  }
}

TEST(LeaderLoop, OpenLoopWithoutALimitHandsTheEngineEveryArrival) {
  SoloComm comm;
  EngineOptions o = sim_options(64);
  o.sim_step_ms = 5;
  WatchedEngine engine(make_sim_engine(o, comm));
  LeaderConfig cfg;
  cfg.slots = 3;
  wire::GoMsg go;
  go.shard = scheduled(workload(20), std::vector<int64_t>(20, 0));  // a burst
  Sink sink;
  RunClock clock;
  run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  expect_every_request_once(sink.records, go.shard, false);
  EXPECT_GT(engine.max_pending, 3u);  // the engine's batch bounds what runs, not the harness
}

// --max-concurrency 1 and a burst: one request at a time, each queued from t=0 for as long as
// the ones before it were served.
TEST(LeaderLoop, OpenLoopBurstOnOneSlotQueuesForTheServiceTimesBeforeIt) {
  SoloComm comm;
  EngineOptions o = sim_options(64);
  o.sim_step_ms = 1;
  WatchedEngine engine(make_sim_engine(o, comm));
  LeaderConfig cfg;
  cfg.slots = 1;
  cfg.max_in_flight = 1;
  wire::GoMsg go;
  go.shard = scheduled(workload(12), std::vector<int64_t>(12, 2 * kMs));
  Sink sink;
  RunClock clock;
  run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  expect_every_request_once(sink.records, go.shard, false);
  EXPECT_EQ(engine.max_pending, 1u);
  const auto records = by_id(sink.records);
  int64_t served_before = 0;  // sum of (finish - submit) of the requests before
  for (uint64_t id = 0; id < 12; ++id) {
    const RequestRecord& r = records.at(id);
    if (id > 0) {
      EXPECT_GE(r.submit_ns, records.at(id - 1).finish_ns) << "two in flight";
    }
    EXPECT_GE(r.queue_ns, served_before) << id;
    EXPECT_LT(r.queue_ns, served_before + kLagBound) << id;  // + the hand-overs' wake-ups
    const int64_t lag = r.submit_ns - r.scheduled_ns - r.queue_ns;
    EXPECT_GE(lag, 0) << id;
    EXPECT_LT(lag, kLagBound) << id;
    served_before += r.finish_ns - r.submit_ns;
  }
  EXPECT_EQ(records.at(0).queue_ns, 0);
  EXPECT_GT(records.at(11).queue_ns, 11 * kMs);  // 11 requests of >= 1 step of 1 ms before it
}

TEST(LeaderLoop, OpenLoopDynamicWorkKeepsItsScheduledTimes) {
  SoloComm comm;
  WatchedEngine engine(make_sim_engine(sim_options(64), comm));
  LeaderConfig cfg;
  cfg.slots = 3;
  std::vector<int64_t> at;
  for (int i = 0; i < 25; ++i) at.push_back(i * kMs);
  auto w = scheduled(workload(25), at);
  ListWork work(w);
  wire::GoMsg go;
  go.dynamic = true;
  Sink sink;
  RunClock clock;
  run_leader_loop(engine, cfg, go, sink, &work, clock);
  expect_every_request_once(sink.records, w, false);
  for (const auto& [id, r] : by_id(sink.records)) {
    EXPECT_EQ(r.scheduled_ns, at[id]);
    EXPECT_GE(r.submit_ns, r.scheduled_ns);
  }
}

TEST(LeaderLoop, OpenLoopStopAbandonsWhatIsNotTakenInYet) {
  SoloComm comm;
  EngineOptions o = sim_options(64);
  o.sim_step_ms = 1;
  WatchedEngine engine(make_sim_engine(o, comm));
  StopAfterSteps stop(engine, 3);  // before the first 20 have all ended (up to 7 tokens)
  LeaderConfig cfg;
  cfg.stop = &stop;
  std::vector<int64_t> at(40, 0);
  for (int i = 20; i < 40; ++i) at[i] = 3600'000 * kMs;  // an hour away: never taken in
  wire::GoMsg go;
  go.shard = scheduled(workload(40), at);
  Sink sink;
  RunClock clock;
  LeaderResult res = run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  EXPECT_TRUE(res.stopped);
  EXPECT_EQ(res.completed + res.abandoned, 40u);
  EXPECT_GE(res.abandoned, 20u);
}

TEST(LeaderLoop, AWorkloadMixingOpenAndClosedLoopIsAnError) {
  SoloComm comm;
  WatchedEngine engine(make_sim_engine(sim_options(64), comm));
  wire::GoMsg go;
  go.shard = workload(4);
  go.shard[2].scheduled_ns = 0;
  Sink sink;
  RunClock clock;
  EXPECT_ANY_THROW(run_leader_loop(engine, LeaderConfig{}, go, sink, nullptr, clock));
}

TEST(LeaderLoop, ClosedLoopRecordsAreDueWhenTakenIn) {
  SoloComm comm;
  WatchedEngine engine(make_sim_engine(sim_options(64), comm));
  LeaderConfig cfg;
  cfg.slots = 4;
  wire::GoMsg go;
  go.shard = workload(20);
  Sink sink;
  RunClock clock;
  run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  ASSERT_EQ(sink.records.size(), 20u);
  for (const auto& r : sink.records) {
    EXPECT_EQ(r.scheduled_ns, r.submit_ns);
    EXPECT_EQ(r.queue_ns, 0);
  }
  EXPECT_EQ(engine.max_pending, 4u);
}

}  // namespace
}  // namespace tpbench
