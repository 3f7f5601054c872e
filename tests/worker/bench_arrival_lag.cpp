// The arrival thread alone (no engine, no MPI): lag = submit - scheduled of Poisson arrivals,
// per request rate and spin window (worker/arrival_thread.hpp). A benchmark, not a test:
// build/tests/worker/bench_arrival_lag [seconds per case, default 2]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "worker/arrival_thread.hpp"

using namespace tpbench;

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  std::printf("rate_per_s spin_us requests lag_p50_us lag_p99_us lag_max_us\n");
  for (double rate : {1000.0, 10000.0}) {
    for (int64_t spin_us : {0, 20, 50, 100, 200}) {
      const int n = static_cast<int>(rate * seconds);
      std::mt19937_64 rng(1);
      std::exponential_distribution<double> gap(rate);
      std::vector<WorkloadRequest> w(n);
      double t = 0.005;
      for (int i = 0; i < n; ++i) {
        t += gap(rng);
        w[i].id = static_cast<uint64_t>(i);
        w[i].scheduled_ns = static_cast<int64_t>(t * 1e9);
      }
      RunClock clock;
      ArrivalThread arrivals(clock, 0, spin_us * 1000);
      arrivals.add(std::move(w));
      std::vector<Arrival> got;
      while (got.size() < static_cast<size_t>(n)) {
        arrivals.wait_taken_in(10'000'000);
        arrivals.drain(got);
      }
      std::vector<int64_t> lag;
      for (const auto& a : got) lag.push_back(a.submit_ns - a.request.scheduled_ns);
      std::sort(lag.begin(), lag.end());
      auto pct = [&](double p) {
        return lag[std::min(lag.size() - 1, static_cast<size_t>(p / 100 * lag.size()))] / 1e3;
      };
      std::printf("%10.0f %7lld %8d %10.1f %10.1f %10.1f\n", rate, static_cast<long long>(spin_us),
                  n, pct(50), pct(99), lag.back() / 1e3);
    }
  }
}
