// The open-loop arrival thread alone (no engine): requests are taken in at their scheduled time,
// in schedule order, and a --max-concurrency share makes them wait for slots (queue time).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "worker/arrival_thread.hpp"
#include "worker/rank_worker.hpp"

namespace tpbench {
namespace {

constexpr int64_t kMs = 1'000'000;
// Sanity bound on how late a request may be taken in (the machine is shared and loaded):
// generous, never a performance claim (docs/PERFORMANCE.md has the measured lag).
constexpr int64_t kLagBound = 500 * kMs;

WorkloadRequest at(uint64_t id, int64_t scheduled_ns) {
  WorkloadRequest r;
  r.id = id;
  r.prompt_len = 3;
  r.prompt_ids = {1, 2, 3};
  r.output_len = 2;
  r.scheduled_ns = scheduled_ns;
  return r;
}

// Drains until `n` requests were taken in.
std::vector<Arrival> take(ArrivalThread& t, size_t n) {
  std::vector<Arrival> out;
  const auto give_up = SteadyClock::now() + std::chrono::seconds(30);
  while (out.size() < n && SteadyClock::now() < give_up) {
    t.wait_taken_in(10 * kMs);
    t.drain(out);
  }
  return out;
}

TEST(ArrivalThread, TakesEachRequestInAtItsScheduledTimeInScheduleOrder) {
  RunClock clock;
  std::vector<WorkloadRequest> w;
  for (uint64_t i = 0; i < 40; ++i)
    w.push_back(at(i, 5 * kMs + static_cast<int64_t>(i % 10) * kMs));
  std::shuffle(w.begin(), w.end(), std::mt19937(3));
  ArrivalThread t(clock, 0);
  t.add(w);
  EXPECT_EQ(t.outstanding(), 40u);
  const auto got = take(t, 40);
  ASSERT_EQ(got.size(), 40u);
  EXPECT_EQ(t.outstanding(), 0u);
  for (size_t k = 0; k < got.size(); ++k) {
    const Arrival& a = got[k];
    EXPECT_EQ(a.request.prompt_ids, (std::vector<int32_t>{1, 2, 3}));  // moved whole
    EXPECT_EQ(a.queue_ns, 0) << "no slot limit";
    EXPECT_GE(a.submit_ns, a.request.scheduled_ns) << "taken in early: " << a.request.id;
    EXPECT_LT(a.submit_ns - a.request.scheduled_ns, kLagBound);
    if (k > 0) {  // by scheduled time, then id
      const WorkloadRequest& p = got[k - 1].request;
      EXPECT_TRUE(p.scheduled_ns < a.request.scheduled_ns ||
                  (p.scheduled_ns == a.request.scheduled_ns && p.id < a.request.id));
      EXPECT_LE(got[k - 1].submit_ns, a.submit_ns);
    }
  }
}

TEST(ArrivalThread, ALateAddThatIsDueEarlierGoesFirst) {
  RunClock clock;
  ArrivalThread t(clock, 0);
  t.add({at(0, 300 * kMs)});
  t.add({at(1, 20 * kMs)});
  const auto got = take(t, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].request.id, 1u);
  EXPECT_LT(got[0].submit_ns, 300 * kMs);
  EXPECT_GE(got[1].submit_ns, 300 * kMs);
}

// A burst of 6 over 2 slots: the first two go in at once; each later one waits for a release,
// and that wait, from its scheduled time, is its queue time; lag stays what is left.
TEST(ArrivalThread, ASlotLimitMakesRequestsQueueUntilAReleaseFreesOne) {
  RunClock clock;
  ArrivalThread t(clock, 2);
  std::vector<WorkloadRequest> w;
  for (uint64_t i = 0; i < 6; ++i) w.push_back(at(i, 1 * kMs));
  t.add(w);
  std::vector<Arrival> got = take(t, 2);
  ASSERT_EQ(got.size(), 2u);
  std::vector<int64_t> released;
  for (int k = 2; k < 6; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::vector<Arrival> none;
    t.drain(none);
    EXPECT_TRUE(none.empty()) << "taken in with every slot busy";
    released.push_back(clock.now());
    t.release();
    auto one = take(t, 1);
    ASSERT_EQ(one.size(), 1u);
    got.push_back(one[0]);
  }
  for (int k = 0; k < 6; ++k) {
    const Arrival& a = got[k];
    EXPECT_EQ(a.request.id, static_cast<uint64_t>(k));
    const int64_t lag = a.submit_ns - a.request.scheduled_ns - a.queue_ns;
    EXPECT_GE(lag, 0) << k;
    EXPECT_LT(lag, kLagBound) << k;
    if (k < 2) {
      EXPECT_EQ(a.queue_ns, 0) << k;
    } else {
      // Queued from its scheduled time until after the release that let it in.
      EXPECT_GE(a.request.scheduled_ns + a.queue_ns, released[k - 2]) << k;
      EXPECT_GE(a.submit_ns, released[k - 2]) << k;
    }
  }
}

// Two slots freed at once: the request behind the one that waited finds a slot free when the
// thread reaches it, but it was due while every slot was busy, so it queued too.
TEST(ArrivalThread, ARequestDueWhileAnotherWaitsForASlotQueuesToo) {
  RunClock clock;
  ArrivalThread t(clock, 2);
  t.add({at(0, 1 * kMs), at(1, 1 * kMs), at(2, 1 * kMs), at(3, 1 * kMs)});
  ASSERT_EQ(take(t, 2).size(), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t released = clock.now();
  t.release();
  t.release();
  const auto got = take(t, 2);
  ASSERT_EQ(got.size(), 2u);
  for (const Arrival& a : got) {
    EXPECT_GE(a.request.scheduled_ns + a.queue_ns, released) << a.request.id;
    EXPECT_GE(a.submit_ns - a.request.scheduled_ns - a.queue_ns, 0) << a.request.id;
  }
}

TEST(ArrivalThread, StopsWithRequestsStillAhead) {
  RunClock clock;
  const auto before = SteadyClock::now();
  {
    ArrivalThread t(clock, 1);
    t.add({at(0, 0), at(1, 0), at(2, 3600'000 * kMs)});
    take(t, 1);  // 1 now waits for a slot, 2 for its time an hour away
    EXPECT_EQ(t.outstanding(), 2u);
  }
  EXPECT_LT(SteadyClock::now() - before, std::chrono::seconds(20));
}

TEST(ArrivalThread, SpinsOnlyWithTwoCoresPerEngineRank) {
  EXPECT_EQ(arrival_spin_ns_for(4, 8), ArrivalThread::kDefaultSpinNs);
  EXPECT_EQ(arrival_spin_ns_for(4, 7), 0);
  EXPECT_EQ(arrival_spin_ns_for(1, 2), ArrivalThread::kDefaultSpinNs);
  EXPECT_EQ(arrival_spin_ns_for(1, 1), 0);
  EXPECT_EQ(arrival_spin_ns_for(0, 0), 0);  // hardware_concurrency() may not know
}

TEST(ArrivalThread, RejectsARequestWithoutAScheduledTime) {
  RunClock clock;
  ArrivalThread t(clock, 0);
  EXPECT_ANY_THROW(t.add({at(0, -1)}));
}

}  // namespace
}  // namespace tpbench
