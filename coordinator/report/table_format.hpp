#pragma once
// LMDeploy profiler.py's table cells: a 40-column name, then 10-column right-aligned values
// (floats as %.3f).
#include <cstdint>
#include <string>
#include <vector>

namespace tpbench::table {

inline constexpr int kNameWidth = 40;
inline constexpr int kCellWidth = 10;

// Cell texts, right-aligned in 10 columns by row().
std::string fixed(double value);  // "%.3f"
std::string integer(int64_t value);

// 40 + 10 * (1 + number of percentiles): 90 for the default four.
int width_for(size_t percentile_count);
std::string row(const std::string& name, const std::vector<std::string>& cells);
// " title " centred in a line of fill characters, Python's '{:=^90}' placement.
std::string centred(const std::string& title, int width, char fill);
std::string rule(int width, char fill);
// "P50", "P99.9"
std::string percentile_label(double q);

}  // namespace tpbench::table
