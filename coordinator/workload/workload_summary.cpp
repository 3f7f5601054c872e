// print_workload_summary: what --dry-run prints.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/load/schedule_shape.hpp"
#include "coordinator/workload/workload.hpp"

namespace tpbench {
namespace {

struct TokenStats {
  int64_t total = 0;
  double mean = 0;
  double min = 0, max = 0, p50 = 0, p90 = 0, p99 = 0;
};

// numpy.percentile's default (linear interpolation between closest ranks).
double percentile(const std::vector<int32_t>& sorted, double p) {
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

TokenStats stats_of(std::vector<int32_t> values) {
  TokenStats s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  for (int32_t v : values) s.total += v;
  s.mean = static_cast<double>(s.total) / static_cast<double>(values.size());
  s.min = values.front();
  s.max = values.back();
  s.p50 = percentile(values, 50);
  s.p90 = percentile(values, 90);
  s.p99 = percentile(values, 99);
  return s;
}

void print_row(std::FILE* out, const char* name, const TokenStats& s) {
  std::fprintf(out, "  %-14s %12lld %10.1f %8.0f %8.1f %8.1f %8.1f %8.0f\n", name,
               static_cast<long long>(s.total), s.mean, s.min, s.p50, s.p90, s.p99, s.max);
}

// The load flags in words: what the schedule was asked to be.
void print_arrivals_asked(const Workload& workload, const RunOptions& o, std::FILE* out) {
  if (!workload.trace_path.empty()) {
    std::fprintf(out, "  arrivals       --trace %s (%zu rows), time x %g\n",
                 workload.trace_path.c_str(), workload.trace_rows, o.trace_time_scale);
  } else if (o.ramp_up_strategy != RampUp::kNone) {
    std::fprintf(out, "  arrivals       %s ramp %g -> %g req/s over %zu requests, burstiness %g\n",
                 std::string(name_of(o.ramp_up_strategy)).c_str(), o.ramp_up_start_rps.value_or(0),
                 o.ramp_up_end_rps.value_or(0), workload.requests.size(), o.burstiness);
  } else {
    std::fprintf(out, "  arrivals       --request-rate %g req/s, burstiness %g\n", o.request_rate,
                 o.burstiness);
  }
  if (o.duration_s) {
    std::fprintf(out, "  duration       %g s: %zu arrivals", *o.duration_s,
                 workload.requests.size());
    if (workload.cycled_from > 0)
      std::fprintf(out, ", cycling through %zu sampled requests", workload.cycled_from);
    std::fprintf(out, "\n");
  }
}

void print_schedule(const Workload& workload, const RunOptions& options, std::FILE* out) {
  std::vector<int64_t> scheduled;
  for (const WorkloadRequest& r : workload.requests) {
    if (r.scheduled_ns < 0) return;  // closed loop
    scheduled.push_back(r.scheduled_ns);
  }
  if (scheduled.empty()) return;
  print_arrivals_asked(workload, options, out);
  const ScheduleShape shape = schedule_shape(scheduled);
  std::fprintf(out, "  schedule       span %.3f s, mean gap %.3f ms, gap CV %.3f, %.3f req/s\n",
               shape.span_s, shape.mean_gap_s * 1e3, shape.gap_cv,
               shape.span_s > 0 ? static_cast<double>(shape.arrivals) / shape.span_s : 0.0);
}

}  // namespace

void print_workload_summary(const Workload& workload, const RunOptions& options, std::FILE* out) {
  std::vector<int32_t> prompt_lens, output_lens;
  for (const WorkloadRequest& r : workload.requests) {
    prompt_lens.push_back(r.prompt_len);
    output_lens.push_back(r.output_len);
  }
  const TokenStats prompt = stats_of(std::move(prompt_lens));
  const TokenStats output = stats_of(std::move(output_lens));

  std::fprintf(out, "Workload (--dataset-name %s, --seed %lld, --num-prompts %d)\n",
               workload.dataset_name.c_str(), static_cast<long long>(options.seed),
               options.num_prompts);
  std::fprintf(out, "  dataset        %s\n", options.dataset_path.c_str());
  if (workload.tokenizer_kind.empty()) {
    std::fprintf(out, "  tokenizer      none (token ids as given)\n");
  } else {
    std::fprintf(out, "  tokenizer      %s (%s)\n", workload.tokenizer_kind.c_str(),
                 options.engine.model_dir.c_str());
  }
  std::fprintf(out, "  records        %zu in the file, %zu eligible, %zu examined, %zu rejected\n",
               workload.dataset_records, workload.eligible, workload.examined, workload.rejected);
  std::fprintf(out, "  time           load %.3f s, tokenize + sample %.3f s\n",
               workload.load_seconds, workload.tokenize_seconds);
  std::fprintf(out, "  requests       %zu\n", workload.requests.size());
  print_schedule(workload, options, out);
  std::fprintf(out, "  %-14s %12s %10s %8s %8s %8s %8s %8s\n", "tokens", "total", "mean", "min",
               "p50", "p90", "p99", "max");
  print_row(out, "prompt", prompt);
  print_row(out, "output", output);
  // LMDeploy's own lines (sample_sharegpt_requests / sample_random_requests).
  std::fprintf(out, "#Input tokens: %lld\n", static_cast<long long>(prompt.total));
  std::fprintf(out, "#Output tokens: %lld\n", static_cast<long long>(output.total));
}

}  // namespace tpbench
