#pragma once
// LoadGen-style validity of a run's load (docs/ARCHITECTURE.md "Goodput and validity"): did the
// harness take requests in on time and at the rate asked? An INVALID run says why.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/records.hpp"

namespace tpbench {

struct Arrivals {
  size_t taken_in = 0;        // records: requests taken in that ended, failed too
  double first_submit_s = 0;  // since t0
  double last_submit_s = 0;
  std::optional<double> achieved_rate;  // taken_in / (last - first submit); needs a span > 0
  std::optional<double> asked_rate;     // the constant rate asked (req/s); none in a closed loop
  double lag_p99_s = 0;                 // numpy P99 of the lag, whatever --percentiles says
};

struct ValidityLimits {
  double max_lag_p99_ms = 10;
  double max_rate_shortfall_pct = 5;
};

struct Validity {
  bool valid = true;
  std::vector<std::string> reasons;  // one per broken rule, in the order of the rules
};

// lag = submit - scheduled - queue, per record.
int64_t lag_ns(const RequestRecord& record);

Arrivals measure_arrivals(const std::vector<RequestRecord>& records,
                          std::optional<double> asked_rate);

// INVALID when the lag's P99 exceeds max_lag_p99_ms, or when a rate was asked and the achieved
// rate is below asked * (1 - max_rate_shortfall_pct / 100).
Validity judge_validity(const Arrivals& arrivals, const ValidityLimits& limits);

}  // namespace tpbench
