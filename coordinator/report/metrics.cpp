#include "coordinator/report/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "coordinator/report/distribution.hpp"

namespace tpbench {
namespace {

double seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

struct Samples {
  std::vector<double> e2e, ttft, tpot, itl;
  std::vector<double> e2e_sched, ttft_sched, queue, lag;
};

void add_taken_in(const RequestRecord& r, Samples& s) {
  s.queue.push_back(seconds(r.queue_ns));
  s.lag.push_back(seconds(lag_ns(r)));
}

void add_completed(const RequestRecord& r, bool streaming, Samples& s) {
  s.e2e.push_back(seconds(r.finish_ns - r.submit_ns));
  s.e2e_sched.push_back(seconds(r.finish_ns - r.scheduled_ns));
  if (r.output_tokens >= 1 && streaming) {
    s.ttft.push_back(seconds(r.first_token_ns - r.submit_ns));
    s.ttft_sched.push_back(seconds(r.first_token_ns - r.scheduled_ns));
  }
  if (r.output_tokens > 1) {
    s.tpot.push_back(seconds(r.finish_ns - r.first_token_ns) / (r.output_tokens - 1));
  }
  if (streaming) {
    for (size_t i = 1; i < r.token_ns.size(); ++i) {
      s.itl.push_back(seconds(r.token_ns[i] - r.token_ns[i - 1]));
    }
  }
}

}  // namespace

MetricsOptions metrics_options_for(const RunOptions& o) {
  MetricsOptions m;
  m.percentile_points = o.percentiles;
  m.streaming = o.stream_output;
  m.open_loop = is_open_loop(o);
  if (std::isfinite(o.request_rate)) m.asked_rate = o.request_rate;
  m.goodput = o.goodput;
  m.limits = {o.max_lag_p99_ms, o.max_rate_shortfall_pct};
  return m;
}

Metrics compute_metrics(const std::vector<RequestRecord>& records, size_t total_requests,
                        const std::vector<double>& percentile_points, bool streaming) {
  MetricsOptions options;
  options.percentile_points = percentile_points;
  options.streaming = streaming;
  return compute_metrics(records, total_requests, options);
}

Metrics compute_metrics(const std::vector<RequestRecord>& records, size_t total_requests,
                        const MetricsOptions& options) {
  const std::vector<double>& percentile_points = options.percentile_points;
  const bool streaming = options.streaming;
  Metrics m;
  m.percentile_points = percentile_points;
  m.total_requests = total_requests;
  m.open_loop = options.open_loop;

  Samples samples;
  int64_t last_finish_ns = 0;
  std::vector<std::string> failure_reasons;
  for (const RequestRecord& r : records) {
    last_finish_ns = std::max(last_finish_ns, r.finish_ns);
    add_taken_in(r, samples);
    if (!r.ok) {
      ++m.failed;
      failure_reasons.push_back(r.error);
      continue;
    }
    ++m.completed;
    m.total_input_tokens += r.prompt_tokens;
    m.total_output_tokens += r.output_tokens;
    if (r.client_output_tokens >= 0) {
      ++m.client_counted;
      if (r.client_output_tokens != r.output_tokens) ++m.output_token_mismatches;
    }
    if (r.requested_output_tokens >= 0 && r.output_tokens != r.requested_output_tokens)
      ++m.output_length_mismatches;
    add_completed(r, streaming, samples);
  }

  m.failure_reasons = group_failure_reasons(failure_reasons);
  m.duration_s = seconds(last_finish_ns);
  if (m.duration_s > 0) {
    m.input_throughput = static_cast<double>(m.total_input_tokens) / m.duration_s;
    m.output_throughput = static_cast<double>(m.total_output_tokens) / m.duration_s;
    m.total_throughput = m.input_throughput + m.output_throughput;
    m.request_throughput = static_cast<double>(m.completed) / m.duration_s;
    m.requests_per_minute = m.request_throughput * 60.0;
  }

  m.e2e = summarize(std::move(samples.e2e), percentile_points);
  m.ttft = summarize(std::move(samples.ttft), percentile_points);
  m.tpot = summarize(std::move(samples.tpot), percentile_points);
  m.itl = summarize(std::move(samples.itl), percentile_points);
  m.e2e_sched = summarize(std::move(samples.e2e_sched), percentile_points);
  m.ttft_sched = summarize(std::move(samples.ttft_sched), percentile_points);
  m.queue = summarize(std::move(samples.queue), percentile_points);
  m.lag = summarize(std::move(samples.lag), percentile_points);
  m.have_ttft = streaming;
  m.have_itl = streaming;

  m.arrivals = measure_arrivals(records, options.asked_rate);
  m.validity = judge_validity(m.arrivals, options.limits);
  if (options.goodput.any()) m.goodput = compute_goodput(records, options.goodput, m.duration_s);
  return m;
}

}  // namespace tpbench
