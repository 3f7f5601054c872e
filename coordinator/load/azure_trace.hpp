#pragma once
// Azure's LLM inference traces (AzurePublicDataset, 2023 and 2024): CSV with a header naming
// TIMESTAMP, ContextTokens and GeneratedTokens (any order; other columns are ignored). Each
// row is one request: when it arrived, its prompt tokens, its generated tokens.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tpbench {

struct TraceRow {
  int64_t offset_ns = 0;         // since the trace's earliest TIMESTAMP
  int32_t context_tokens = 0;    // prompt length
  int32_t generated_tokens = 0;  // output length
  size_t line = 0;               // where it stands in the file (1 = the header)
};

struct AzureTrace {
  std::string path;
  std::vector<TraceRow> rows;  // in time order (rows with equal times keep file order)
  // Rows whose ContextTokens or GeneratedTokens is 0: raised to 1 (a request needs a prompt
  // token and a token to time).
  size_t raised_to_one = 0;
};

// Throws InputError naming path:line and the field for a row that does not parse, and for a
// file without a header or without rows.
AzureTrace read_azure_trace(const std::string& path);

}  // namespace tpbench
