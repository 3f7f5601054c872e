// The leader times tokens and failures with the engine's own times (StepResult), converted to ns
// since t0, not with its clock after step() returns.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "common/clock.hpp"
#include "engine/comm/single_rank_communicator.hpp"
#include "engine/sim/sim_engine.hpp"
#include "worker/leader.hpp"

namespace tpbench {
namespace {

class CollectingSink final : public RecordSink {
 public:
  void push_records(wire::RecordBatchMsg& b) override {
    for (auto& r : b.records) records[r.id] = r;
  }
  std::map<uint64_t, RequestRecord> records;
};

std::vector<WorkloadRequest> workload(int n) {
  std::vector<WorkloadRequest> w;
  for (int i = 0; i < n; ++i) {
    WorkloadRequest r;
    r.id = static_cast<uint64_t>(i);
    r.prompt_len = 3 + i % 4;
    r.prompt_ids.assign(r.prompt_len, 5);
    r.output_len = 1 + i % 5;
    w.push_back(r);
  }
  return w;
}

// An engine that is not a BatchedEngine (as a client of a serving endpoint would be): each step
// gives every request one token, stamped a scripted time well before the step (as if its bytes
// had arrived then), and refuses requests with 3 prompt tokens with a scripted failure time.
class ScriptedEngine final : public Engine {
 public:
  explicit ScriptedEngine(int64_t t0_ns) : t0_ns_(t0_ns) {}
  void add(EngineRequest r) override {
    if (r.prompt.size() == 3) {
      failures_.push_back({r.id, "scripted refusal", failure_time(r.id)});
      return;
    }
    left_[r.id] = r.max_new_tokens;
    produced_[r.id] = 0;
  }
  StepResult step() override {
    // Real time passes between the scripted times and the leader's clock after step().
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    StepResult s;
    s.failures.swap(failures_);
    for (auto it = left_.begin(); it != left_.end();) {
      const uint64_t id = it->first;
      const int32_t n = produced_[id]++;
      const bool finished = --it->second == 0;
      s.tokens.push_back({id, static_cast<int32_t>(id + n), finished, token_time(id, n)});
      it = finished ? left_.erase(it) : std::next(it);
    }
    return s;
  }
  size_t pending() const override { return left_.size() + failures_.size(); }
  void cancel(uint64_t) override { FAIL() << "the leader never cancels"; }
  void shutdown() override {}
  EngineStats stats() const override { return {}; }
  void run_follower() override { FAIL() << "a scripted engine has no followers"; }
  std::string describe() const override { return "scripted"; }

  // Steady-clock times, before t0 + 1 ms: far from anything the leader's clock reads.
  int64_t token_time(uint64_t id, int32_t n) const {
    return t0_ns_ + 1000 * static_cast<int64_t>(id) + 10 * n + 1;
  }
  int64_t failure_time(uint64_t id) const { return t0_ns_ + 7 + static_cast<int64_t>(id); }

 private:
  int64_t t0_ns_;
  std::map<uint64_t, int32_t> left_, produced_;
  std::vector<StepResult::Failure> failures_;
};

TEST(LeaderTokenTimes, RecordsCarryTheEnginesTimesSinceT0) {
  const RunClock clock(steady_now_ns());
  ScriptedEngine engine(clock.t0_ns());
  LeaderConfig cfg;
  cfg.slots = 4;
  wire::GoMsg go;
  go.shard = workload(12);
  CollectingSink sink;
  const LeaderResult res = run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  EXPECT_EQ(res.completed + res.failed, 12u);
  EXPECT_EQ(res.failed, 3u);  // prompts of 3 tokens: ids 0, 4, 8
  ASSERT_EQ(sink.records.size(), 12u);
  for (const auto& q : go.shard) {
    const RequestRecord& r = sink.records.at(q.id);
    if (q.prompt_len == 3) {
      EXPECT_FALSE(r.ok);
      EXPECT_EQ(r.finish_ns, engine.failure_time(q.id) - clock.t0_ns()) << "request " << q.id;
      continue;
    }
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.token_ns.size(), static_cast<size_t>(q.output_len));
    for (int32_t n = 0; n < q.output_len; ++n)
      EXPECT_EQ(r.token_ns[n], engine.token_time(q.id, n) - clock.t0_ns())
          << "request " << q.id << " token " << n;
    EXPECT_EQ(r.first_token_ns, engine.token_time(q.id, 0) - clock.t0_ns());
    EXPECT_EQ(r.finish_ns, engine.token_time(q.id, q.output_len - 1) - clock.t0_ns());
  }
}

// Records the times a real engine stamps, on their way to the leader.
class TimeTap final : public EngineDecorator {
 public:
  using EngineDecorator::EngineDecorator;
  StepResult step() override {
    StepResult s = inner_->step();
    for (const auto& t : s.tokens) times[t.request_id].push_back(t.time_ns);
    return s;
  }
  std::map<uint64_t, std::vector<int64_t>> times;
};

TEST(LeaderTokenTimes, SimBackendRecordsEqualTheEnginesTokenTimes) {
  SingleRankCommunicator comm;
  EngineOptions o;
  o.backend = Backend::kSim;
  o.max_batch_size = 8;
  o.sim_step_ms = 0.2;
  TimeTap engine(make_sim_engine(o, comm));
  const RunClock clock(steady_now_ns());
  LeaderConfig cfg;
  cfg.slots = 8;
  wire::GoMsg go;
  go.shard = workload(30);
  CollectingSink sink;
  run_leader_loop(engine, cfg, go, sink, nullptr, clock);
  ASSERT_EQ(sink.records.size(), 30u);
  for (const auto& [id, r] : sink.records) {
    const std::vector<int64_t>& times = engine.times.at(id);
    ASSERT_EQ(r.token_ns.size(), times.size());
    EXPECT_EQ(r.first_token_ns, times.front() - clock.t0_ns()) << "request " << id;
    EXPECT_EQ(r.finish_ns, times.back() - clock.t0_ns()) << "request " << id;
    for (size_t i = 0; i < times.size(); ++i) EXPECT_EQ(r.token_ns[i], times[i] - clock.t0_ns());
    EXPECT_LE(r.submit_ns, r.first_token_ns);
  }
}

}  // namespace
}  // namespace tpbench
