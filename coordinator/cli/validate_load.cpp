// The open-loop flags (docs/CLI.md, "Open-loop load"): which go together. vLLM's rules for a
// ramp: --request-rate stays inf, both rates are given and start <= end.
#include <limits>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "coordinator/cli/validate.hpp"

namespace tpbench::cli {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
}

std::string number(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

}  // namespace

void validate_load_options(const RunOptions& o) {
  const bool finite_rate = o.request_rate != std::numeric_limits<double>::infinity();
  const bool ramp = o.ramp_up_strategy != RampUp::kNone;
  const bool trace = !o.trace_path.empty();

  if (ramp) {
    require(!finite_rate, "--ramp-up-strategy sets the rate: --request-rate must stay inf, got " +
                              number(o.request_rate));
    require(o.ramp_up_start_rps.has_value(), "--ramp-up-strategy needs --ramp-up-start-rps");
    require(o.ramp_up_end_rps.has_value(), "--ramp-up-strategy needs --ramp-up-end-rps");
    require(*o.ramp_up_start_rps <= *o.ramp_up_end_rps,
            "--ramp-up-start-rps " + number(*o.ramp_up_start_rps) + " > --ramp-up-end-rps " +
                number(*o.ramp_up_end_rps) + ": a ramp rises");
  } else {
    require(!o.ramp_up_start_rps, "--ramp-up-start-rps needs --ramp-up-strategy");
    require(!o.ramp_up_end_rps, "--ramp-up-end-rps needs --ramp-up-strategy");
  }
  require(o.burstiness == 1.0 || finite_rate || ramp,
          "--burstiness shapes the gaps of --request-rate or --ramp-up-strategy: give one of them");

  if (trace) {
    require(!finite_rate, "--trace gives the arrivals: not with --request-rate");
    require(!ramp, "--trace gives the arrivals: not with --ramp-up-strategy");
    require(o.dataset_name != DatasetName::kTokenIds,
            "--trace builds prompts from DATASET's text: not with --dataset-name token-ids");
    require(!o.sharegpt_output_len,
            "--trace gives each output length: not with --sharegpt-output-len");
  } else {
    require(o.trace_time_scale == 1.0, "--trace-time-scale needs --trace");
  }

  if (o.duration_s) {
    require(!ramp, "--duration: not with --ramp-up-strategy (a ramp spans the -n requests)");
    require(finite_rate || trace, "--duration needs a finite --request-rate or --trace");
  }
  require(o.max_concurrency == 0 || is_open_loop(o),
          "--max-concurrency caps an open loop (--request-rate, --ramp-up-strategy, --trace or "
          "--duration); a closed loop's cap is -c");
}

}  // namespace tpbench::cli
