#pragma once
// Metrics exactly as docs/ARCHITECTURE.md defines them, from the records of one run.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/records.hpp"
#include "common/run_options.hpp"
#include "coordinator/report/failure_groups.hpp"
#include "coordinator/report/goodput.hpp"
#include "coordinator/report/validity.hpp"

namespace tpbench {

// A latency distribution in seconds. percentiles[i] is at Metrics::percentile_points[i],
// interpolated linearly as numpy.percentile's default does.
struct Distribution {
  size_t count = 0;
  double mean = 0, min = 0, max = 0, std = 0;  // std: population (numpy's default ddof=0)
  std::vector<double> percentiles;
};

struct Metrics {
  std::vector<double> percentile_points;  // e.g. 50, 75, 95, 99
  size_t total_requests = 0;              // requests the workload had
  size_t completed = 0;
  size_t failed = 0;
  std::vector<FailureGroup> failure_reasons;  // grouped, most frequent first
  int64_t total_input_tokens = 0;             // completed requests only
  int64_t total_output_tokens = 0;            // completed requests only
  // --backend openai: completed requests whose output the client counted, and those of them
  // where the server's usage.completion_tokens (what output_tokens holds) differs from the
  // client's count.
  size_t client_counted = 0;
  size_t output_token_mismatches = 0;
  // Completed requests whose output_tokens differs from the length the workload asked for.
  size_t output_length_mismatches = 0;
  double duration_s = 0;        // last finish over the cluster - t0
  double input_throughput = 0;  // tok/s
  double output_throughput = 0;
  double total_throughput = 0;
  double request_throughput = 0;  // req/s
  double requests_per_minute = 0;
  Distribution e2e, ttft, tpot, itl;  // e2e and ttft from submit (vLLM's start)
  bool have_ttft = false;             // streaming output only
  bool have_itl = false;

  // Open loop (docs/ARCHITECTURE.md "Goodput and validity"). In a closed loop scheduled ==
  // submit and queue == 0, so these equal e2e / ttft and zeros; the console shows them only in
  // open loop, the CSV and JSON always.
  bool open_loop = false;
  Distribution e2e_sched, ttft_sched;  // from the scheduled time (LoadGen); ttft: streaming
  Distribution queue, lag;             // every request taken in, failed ones too
  Arrivals arrivals;
  std::optional<Goodput> goodput;  // with --goodput only
  Validity validity;
};

// What a run asks of its metrics, beyond the records.
struct MetricsOptions {
  std::vector<double> percentile_points{50, 75, 95, 99};
  bool streaming = true;
  bool open_loop = false;
  std::optional<double> asked_rate;  // req/s over the cluster; none in a closed loop
  GoodputSlo goodput;                // none given: no goodput
  ValidityLimits limits;
};

MetricsOptions metrics_options_for(const RunOptions& options);

Metrics compute_metrics(const std::vector<RequestRecord>& records, size_t total_requests,
                        const MetricsOptions& options);
// A closed loop without --goodput.
Metrics compute_metrics(const std::vector<RequestRecord>& records, size_t total_requests,
                        const std::vector<double>& percentile_points, bool streaming);

// numpy.percentile(values, q) with the default linear method; values need not be sorted.
double percentile_linear(std::vector<double> values, double q);

}  // namespace tpbench
