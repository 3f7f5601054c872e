#include "coordinator/orchestrator/progress.hpp"

namespace tpbench {

ProgressPrinter::ProgressPrinter(std::FILE* out, bool is_terminal)
    : out_(out), interval_ns_(is_terminal ? 1'000'000'000 : 5'000'000'000) {}

void ProgressPrinter::update(int64_t now_ns, uint64_t done, uint64_t total, int64_t output_tokens) {
  if (now_ns - last_ns_ < interval_ns_) return;
  double elapsed = static_cast<double>(now_ns) * 1e-9;
  double window = static_cast<double>(now_ns - last_ns_) * 1e-9;
  double tok_s = window > 0 ? static_cast<double>(output_tokens - last_tokens_) / window : 0;
  char eta[32] = "?";
  if (done > 0 && done < total)
    std::snprintf(eta, sizeof eta, "%.0f s",
                  elapsed * static_cast<double>(total - done) / static_cast<double>(done));
  else if (done >= total)
    std::snprintf(eta, sizeof eta, "0 s");
  std::fprintf(out_, "progress: %llu/%llu requests, %.1f s elapsed, %.0f out tok/s now, ETA %s\n",
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
               elapsed, tok_s, eta);
  std::fflush(out_);
  last_ns_ = now_ns;
  last_tokens_ = output_tokens;
}

}  // namespace tpbench
