#include "worker/arrival_thread.hpp"

#include <chrono>

#include "common/error.hpp"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace tpbench {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ArrivalThread::ArrivalThread(const RunClock& clock, int max_in_flight, int64_t spin_ns)
    : clock_(clock), max_in_flight_(max_in_flight), spin_ns_(spin_ns) {
  TPBENCH_CHECK(max_in_flight >= 0 && spin_ns >= 0, "bad arrival thread limits");
  thread_ = std::thread([this] { run(); });
}

ArrivalThread::~ArrivalThread() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ArrivalThread::add(std::vector<WorkloadRequest> requests) {
  if (requests.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& r : requests) {
      TPBENCH_CHECK(r.scheduled_ns >= 0, "request " + std::to_string(r.id) +
                                             " has no scheduled time in an open-loop run");
      pending_.push({r.scheduled_ns, r.id, store_.size()});
      store_.push_back(std::move(r));
    }
    outstanding_.fetch_add(requests.size(), std::memory_order_acq_rel);
  }
  wake_.notify_one();
}

void ArrivalThread::drain(std::vector<Arrival>& out) {
  std::lock_guard lock(out_mu_);
  if (taken_in_.empty()) return;
  const size_t n = taken_in_.size();
  for (auto& a : taken_in_) out.push_back(std::move(a));
  taken_in_.clear();
  outstanding_.fetch_sub(n, std::memory_order_acq_rel);
}

void ArrivalThread::wait_taken_in(int64_t timeout_ns) {
  std::unique_lock lock(out_mu_);
  taken_in_cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns),
                        [&] { return !taken_in_.empty(); });
}

void ArrivalThread::release() {
  if (max_in_flight_ == 0) return;
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  wake_.notify_one();
}

void ArrivalThread::run() {
#if defined(__linux__)
  // The coarse wait ends spin_ns before the request is due; the default 50 us timer slack
  // would eat most of that margin.
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
  const auto at = [&](int64_t run_ns) {
    return SteadyClock::time_point(std::chrono::nanoseconds(clock_.t0_ns() + run_ns));
  };
  // Clock time the last wait for a slot ended: a request due before it was due while every
  // slot was busy, so its wait until it is taken in is queue time, not lag.
  int64_t slot_wait_end = -1;
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (pending_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const int64_t due = pending_.top().scheduled_ns;
    if (clock_.now() < due - spin_ns_) {
      wake_.wait_until(lock, at(due - spin_ns_));  // woken early by an add, a release or stop
      continue;
    }
    if (clock_.now() < due) {
      lock.unlock();
      while (clock_.now() < due) cpu_relax();
      lock.lock();
      continue;  // an earlier request may have been added meanwhile: it goes first
    }
    bool waited = false;
    if (max_in_flight_ > 0 && in_flight_ >= max_in_flight_) {
      wake_.wait(lock, [&] { return stop_ || in_flight_ < max_in_flight_; });
      if (stop_) break;
      waited = true;
    }
    const Due next = pending_.top();
    pending_.pop();
    Arrival a;
    a.request = std::move(store_[next.index]);
    if (max_in_flight_ > 0) ++in_flight_;
    lock.unlock();

    const int64_t slot_ns = clock_.now();
    if (waited) slot_wait_end = slot_ns;
    if (waited || a.request.scheduled_ns < slot_wait_end)
      a.queue_ns = slot_ns - a.request.scheduled_ns;
    {
      std::lock_guard out(out_mu_);
      a.submit_ns = clock_.now();
      taken_in_.push_back(std::move(a));
    }
    taken_in_cv_.notify_one();
    lock.lock();
  }
}

}  // namespace tpbench
