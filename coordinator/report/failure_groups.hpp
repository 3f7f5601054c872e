#pragma once
// Failed requests grouped by why they failed, so that 30 context overflows read as one reason
// with a count (the per-request reasons stay in --requests-out).
#include <cstddef>
#include <string>
#include <vector>

namespace tpbench {

struct FailureGroup {
  std::string reason;  // whole, never cut
  size_t count = 0;
};

// Reasons that differ only in their numbers are one group: a leading "request <id>: " is
// dropped, a number equal in every reason of the group is kept, and one that varies is shown
// as its range "lo..hi". An empty reason counts as "unknown error". Most frequent first, then
// by reason.
std::vector<FailureGroup> group_failure_reasons(const std::vector<std::string>& reasons);

}  // namespace tpbench
