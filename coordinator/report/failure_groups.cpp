#include "coordinator/report/failure_groups.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

namespace tpbench {
namespace {

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// A reason cut into its words around the numbers: texts.size() == numbers.size() + 1.
struct Shape {
  std::vector<std::string> texts;
  std::vector<std::string> numbers;  // "42" or "0.75"
};

std::string without_request_prefix(const std::string& reason) {
  static const std::string kPrefix = "request ";
  if (reason.compare(0, kPrefix.size(), kPrefix) != 0) return reason;
  size_t i = kPrefix.size();
  const size_t digits = i;
  while (i < reason.size() && is_digit(reason[i])) ++i;
  if (i == digits || reason.compare(i, 2, ": ") != 0) return reason;
  return reason.substr(i + 2);
}

Shape shape_of(const std::string& reason) {
  Shape s;
  s.texts.emplace_back();
  size_t i = 0;
  while (i < reason.size()) {
    if (!is_digit(reason[i])) {
      s.texts.back() += reason[i++];
      continue;
    }
    size_t end = i;
    while (end < reason.size() && is_digit(reason[end])) ++end;
    if (end + 1 < reason.size() && reason[end] == '.' && is_digit(reason[end + 1])) {
      ++end;
      while (end < reason.size() && is_digit(reason[end])) ++end;
    }
    s.numbers.push_back(reason.substr(i, end - i));
    s.texts.emplace_back();
    i = end;
  }
  return s;
}

std::string key_of(const Shape& s) {
  std::string key;
  for (const std::string& text : s.texts) key += text + '\x01';
  return key;
}

long double value_of(const std::string& number) {
  return std::strtold(number.c_str(), nullptr);
}

struct Group {
  Shape shape;
  std::vector<std::string> lo, hi;
  size_t count = 0;

  void add(const Shape& s) {
    if (count++ == 0) {
      shape = s;
      lo = hi = s.numbers;
      return;
    }
    for (size_t i = 0; i < s.numbers.size(); ++i) {
      if (value_of(s.numbers[i]) < value_of(lo[i])) lo[i] = s.numbers[i];
      if (value_of(s.numbers[i]) > value_of(hi[i])) hi[i] = s.numbers[i];
    }
  }

  std::string reason() const {
    std::string text = shape.texts[0];
    for (size_t i = 0; i < lo.size(); ++i) {
      text += lo[i] == hi[i] ? lo[i] : lo[i] + ".." + hi[i];
      text += shape.texts[i + 1];
    }
    return text;
  }
};

}  // namespace

std::vector<FailureGroup> group_failure_reasons(const std::vector<std::string>& reasons) {
  std::map<std::string, Group> groups;
  for (const std::string& reason : reasons) {
    const Shape s = shape_of(reason.empty() ? "unknown error" : without_request_prefix(reason));
    groups[key_of(s)].add(s);
  }
  std::vector<FailureGroup> out;
  for (const auto& [key, group] : groups) out.push_back({group.reason(), group.count});
  std::sort(out.begin(), out.end(), [](const FailureGroup& a, const FailureGroup& b) {
    return a.count != b.count ? a.count > b.count : a.reason < b.reason;
  });
  return out;
}

}  // namespace tpbench
