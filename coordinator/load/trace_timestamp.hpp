#pragma once
// The TIMESTAMP column of Azure's LLM inference traces:
//   2023: "2023-11-16 18:15:46.6805900"         (7 fractional digits, no zone)
//   2024: "2024-05-10 00:00:00.009930+00:00"    (0 to 6 digits, a UTC offset)
// Accepted: YYYY-MM-DD, ' ' or 'T', hh:mm:ss, an optional '.' with 1 to 9 digits, an optional
// zone 'Z' or +hh:mm / -hh:mm (the instant is shifted to UTC).
#include <cstdint>
#include <optional>
#include <string_view>

namespace tpbench {

// ns since 1970-01-01 00:00 UTC (a zoneless time is taken as UTC); nullopt when text is not
// such a timestamp.
std::optional<int64_t> parse_trace_timestamp(std::string_view text);

}  // namespace tpbench
