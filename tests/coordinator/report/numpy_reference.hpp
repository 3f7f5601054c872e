#pragma once
// Runs tests/coordinator/report/numpy_reference.py on test cases and reads its answers back.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/records.hpp"

namespace tpbench::test {

struct MetricsCase {
  std::string name;
  bool streaming = true;
  std::vector<double> points;
  std::vector<RequestRecord> records;
};

struct PercentileCase {
  std::string name;
  double q = 50;
  std::vector<double> values;
};

// name -> key -> value
using Reference = std::map<std::string, std::map<std::string, double>>;

inline std::string temp_path(const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + stem + "-" + std::to_string(::getpid());
}

inline void write_cases(std::ostream& out, const std::vector<MetricsCase>& cases,
                        const std::vector<PercentileCase>& pcts) {
  out.precision(17);
  for (const MetricsCase& c : cases) {
    out << "case " << c.name << ' ' << (c.streaming ? 1 : 0) << ' ' << c.points.size();
    for (double p : c.points) out << ' ' << p;
    out << '\n';
    for (const RequestRecord& r : c.records) {
      out << "rec " << (r.ok ? 1 : 0) << ' ' << r.prompt_tokens << ' ' << r.output_tokens << ' '
          << r.submit_ns << ' ' << r.first_token_ns << ' ' << r.finish_ns << ' '
          << r.token_ns.size();
      for (int64_t t : r.token_ns) out << ' ' << t;
      out << ' ' << (r.error.empty() ? "-" : r.error) << '\n';
    }
    out << "end\n";
  }
  for (const PercentileCase& p : pcts) {
    out << "pct " << p.name << ' ' << p.q << ' ' << p.values.size();
    for (double v : p.values) out << ' ' << v;
    out << '\n';
  }
}

inline Reference numpy_reference(const std::vector<MetricsCase>& cases,
                                 const std::vector<PercentileCase>& pcts) {
  const std::string in = temp_path("tpbench-metrics-in"), out = temp_path("tpbench-metrics-out");
  {
    std::ofstream f(in);
    write_cases(f, cases, pcts);
  }
  const std::string script = std::string(TPBENCH_SOURCE_DIR) + "/tests/coordinator/report/numpy_reference.py";
  const std::string command = "/usr/bin/python3 " + script + " " + in + " " + out;
  const int rc = std::system(command.c_str());
  Reference ref;
  EXPECT_EQ(rc, 0) << command;
  std::ifstream f(out);
  std::string name, key, value;
  while (f >> name >> key >> value) ref[name][key] = std::stod(value);
  std::remove(in.c_str());
  std::remove(out.c_str());
  return ref;
}

inline bool near(double a, double b) {
  return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace tpbench::test
