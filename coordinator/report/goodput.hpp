#pragma once
// --goodput: which requests meet every service-level objective given (vLLM's rule), and the
// rates of those requests (docs/ARCHITECTURE.md "Goodput and validity").
#include <cstddef>
#include <vector>

#include "common/records.hpp"
#include "common/run_options.hpp"

namespace tpbench {

struct Goodput {
  GoodputSlo slo;
  size_t good = 0;             // completed requests that meet every SLO given
  double good_percent = 0;     // 100 * good / requests that ended (completed and failed)
  double request_goodput = 0;  // good / duration, req/s
  double output_goodput = 0;   // output tokens of the good requests / duration, tok/s
};

// Whether a record meets every SLO given, each inclusive (SLO >= metric) and compared in
// seconds: TTFT and E2E from the scheduled time, TPOT 0 for n <= 1. A failed request, or a TTFT
// SLO on a request without a token, is never good.
bool meets_slo(const RequestRecord& record, const GoodputSlo& slo);

Goodput compute_goodput(const std::vector<RequestRecord>& records, const GoodputSlo& slo,
                        double duration_s);

}  // namespace tpbench
