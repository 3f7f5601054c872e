#include "coordinator/report/table_format.hpp"

#include <cstdio>

namespace tpbench::table {
namespace {

std::string right_aligned(const std::string& text) {
  if (text.size() >= static_cast<size_t>(kCellWidth)) return text;
  return std::string(kCellWidth - text.size(), ' ') + text;
}

}  // namespace

std::string fixed(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

std::string integer(int64_t value) {
  return std::to_string(value);
}

int width_for(size_t percentile_count) {
  return kNameWidth + kCellWidth * (1 + static_cast<int>(percentile_count));
}

std::string row(const std::string& name, const std::vector<std::string>& cells) {
  std::string line = name;
  if (line.size() < static_cast<size_t>(kNameWidth)) line.resize(kNameWidth, ' ');
  for (const std::string& cell : cells) line += right_aligned(cell);
  return line;
}

std::string centred(const std::string& title, int width, char fill) {
  const std::string padded = " " + title + " ";
  if (static_cast<int>(padded.size()) >= width) return padded;
  const int left = (width - static_cast<int>(padded.size())) / 2;
  const int right = width - static_cast<int>(padded.size()) - left;
  return std::string(left, fill) + padded + std::string(right, fill);
}

std::string rule(int width, char fill) {
  return std::string(width, fill);
}

std::string percentile_label(double q) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "P%g", q);
  return buf;
}

}  // namespace tpbench::table
