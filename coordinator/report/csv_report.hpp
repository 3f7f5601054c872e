#pragma once
// --csv's header rule: rows are appended only under tpbench's own header (docs/CLI.md,
// "Output files"); append_csv() itself is declared in report.hpp.
#include <string>
#include <vector>

namespace tpbench {

// tpbench's CSV columns, in order.
const std::vector<std::string>& csv_columns();

// Why tpbench may not append rows to the CSV file at `path` (through symlinks): "" when the
// file is missing, empty, not a regular file, or starts with tpbench's header line; else a
// phrase naming the first column that differs ("its header is not tpbench's: its column 2 is
// 'batch' where tpbench writes 'bs'") or the read error.
std::string csv_header_conflict(const std::string& path);

}  // namespace tpbench
