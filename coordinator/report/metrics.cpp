#include "coordinator/report/metrics.hpp"

#include <algorithm>

#include "coordinator/report/distribution.hpp"

namespace tpbench {
namespace {

double seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

struct Samples {
  std::vector<double> e2e, ttft, tpot, itl;
};

void add_completed(const RequestRecord& r, bool streaming, Samples& s) {
  s.e2e.push_back(seconds(r.finish_ns - r.submit_ns));
  if (r.output_tokens >= 1 && streaming) s.ttft.push_back(seconds(r.first_token_ns - r.submit_ns));
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

Metrics compute_metrics(const std::vector<RequestRecord>& records, size_t total_requests,
                        const std::vector<double>& percentile_points, bool streaming) {
  Metrics m;
  m.percentile_points = percentile_points;
  m.total_requests = total_requests;

  Samples samples;
  int64_t last_finish_ns = 0;
  std::vector<std::string> failure_reasons;
  for (const RequestRecord& r : records) {
    last_finish_ns = std::max(last_finish_ns, r.finish_ns);
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
  m.have_ttft = streaming;
  m.have_itl = streaming;
  return m;
}

}  // namespace tpbench
