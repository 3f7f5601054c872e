#include "coordinator/report/goodput.hpp"

namespace tpbench {
namespace {

double seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

// slo_ms unset, or its seconds >= the metric: vLLM compares `slo / 1000 >= metric`.
bool within(const std::optional<double>& slo_ms, double metric_s) {
  return !slo_ms || *slo_ms / 1000.0 >= metric_s;
}

}  // namespace

bool meets_slo(const RequestRecord& r, const GoodputSlo& slo) {
  if (!r.ok) return false;
  if (slo.ttft_ms && r.output_tokens < 1) return false;
  const double tpot =
      r.output_tokens > 1 ? seconds(r.finish_ns - r.first_token_ns) / (r.output_tokens - 1) : 0.0;
  return within(slo.ttft_ms, seconds(r.first_token_ns - r.scheduled_ns)) &&
         within(slo.tpot_ms, tpot) && within(slo.e2el_ms, seconds(r.finish_ns - r.scheduled_ns));
}

Goodput compute_goodput(const std::vector<RequestRecord>& records, const GoodputSlo& slo,
                        double duration_s) {
  Goodput g;
  g.slo = slo;
  int64_t good_output_tokens = 0;
  for (const RequestRecord& r : records) {
    if (!meets_slo(r, slo)) continue;
    ++g.good;
    good_output_tokens += r.output_tokens;
  }
  if (!records.empty()) {
    g.good_percent = 100.0 * static_cast<double>(g.good) / static_cast<double>(records.size());
  }
  if (duration_s > 0) {
    g.request_goodput = static_cast<double>(g.good) / duration_s;
    g.output_goodput = static_cast<double>(good_output_tokens) / duration_s;
  }
  return g;
}

}  // namespace tpbench
