#include "coordinator/load/azure_trace.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>

#include "common/error.hpp"
#include "coordinator/load/trace_timestamp.hpp"

namespace tpbench {
namespace {

constexpr std::array<std::string_view, 3> kColumns = {"TIMESTAMP", "ContextTokens",
                                                      "GeneratedTokens"};

std::string where(const std::string& path, size_t line) {
  return "--trace " + path + ":" + std::to_string(line);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

std::optional<int32_t> parse_count(std::string_view text) {
  int64_t value = 0;
  const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || stop != text.data() + text.size() || value < 0 ||
      value > std::numeric_limits<int32_t>::max())
    return std::nullopt;
  return static_cast<int32_t>(value);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("--trace " + path + ": cannot be read");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

AzureTrace read_azure_trace(const std::string& path) {
  const std::string text = read_file(path);
  AzureTrace trace;
  trace.path = path;
  std::array<size_t, 3> column{};
  size_t header_fields = 0;
  std::vector<int64_t> times;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    const std::vector<std::string_view> fields = split_fields(line);
    if (header_fields == 0) {
      for (size_t c = 0; c < kColumns.size(); ++c) {
        const auto found = std::find(fields.begin(), fields.end(), kColumns[c]);
        if (found == fields.end()) {
          throw InputError(where(path, line_no) + ": the header has no " +
                           std::string(kColumns[c]) +
                           " column (expected TIMESTAMP,ContextTokens,GeneratedTokens)");
        }
        column[c] = static_cast<size_t>(found - fields.begin());
      }
      header_fields = fields.size();
      continue;
    }
    if (fields.size() != header_fields) {
      throw InputError(where(path, line_no) + ": " + std::to_string(fields.size()) +
                       " fields, the header has " + std::to_string(header_fields));
    }
    const std::optional<int64_t> time = parse_trace_timestamp(fields[column[0]]);
    if (!time) {
      throw InputError(where(path, line_no) + ": TIMESTAMP '" + std::string(fields[column[0]]) +
                       "' is not a time like 2023-11-16 18:15:46.6805900");
    }
    TraceRow row;
    row.line = line_no;
    for (size_t c : {size_t{1}, size_t{2}}) {
      const std::optional<int32_t> count = parse_count(fields[column[c]]);
      if (!count) {
        throw InputError(where(path, line_no) + ": " + std::string(kColumns[c]) + " '" +
                         std::string(fields[column[c]]) + "' is not a token count >= 0");
      }
      (c == 1 ? row.context_tokens : row.generated_tokens) = *count;
    }
    if (row.context_tokens == 0 || row.generated_tokens == 0) {
      ++trace.raised_to_one;
      row.context_tokens = std::max(row.context_tokens, 1);
      row.generated_tokens = std::max(row.generated_tokens, 1);
    }
    times.push_back(*time);
    trace.rows.push_back(row);
  }
  if (header_fields == 0) throw InputError("--trace " + path + ": empty file, no header");
  if (trace.rows.empty()) throw InputError("--trace " + path + ": a header but no rows");

  const int64_t first = *std::min_element(times.begin(), times.end());
  for (size_t i = 0; i < trace.rows.size(); ++i) trace.rows[i].offset_ns = times[i] - first;
  std::stable_sort(trace.rows.begin(), trace.rows.end(),
                   [](const TraceRow& a, const TraceRow& b) { return a.offset_ns < b.offset_ns; });
  return trace;
}

}  // namespace tpbench
