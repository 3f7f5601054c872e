#pragma once
// Shared by the tests/coordinator/load tests: the python3 reference (load_reference.py) and temp files.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tpbench::load_test {

inline std::string python3() {
  // Debian's interpreter has numpy.
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

// Runs load_reference.py with `args`, `input` on its stdin; returns its stdout.
inline std::string run_reference(const std::string& args, const std::string& input = "") {
  const std::filesystem::path in =
      std::filesystem::temp_directory_path() / ("tpbench-load-ref-" + std::to_string(getpid()));
  std::ofstream(in) << input;
  const std::string command = python3() + " " + TPBENCH_SOURCE_DIR +
                              "/tests/coordinator/load/load_reference.py " + args + " < " + in.string();
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  std::filesystem::remove(in);
  if (status != 0) throw std::runtime_error("failed: " + command);
  return out;
}

inline std::vector<double> numbers(const std::string& text) {
  std::istringstream in(text);
  std::vector<double> values;
  for (double v; in >> v;) values.push_back(v);
  return values;
}

inline std::string lines_of(const std::vector<double>& values) {
  std::ostringstream out;
  out.precision(17);
  for (double v : values) out << v << "\n";
  return out.str();
}

inline std::string trace_file(const std::string& name) {
  return std::string(TPBENCH_DATA_DIR) + "/traces/" + name;
}

}  // namespace tpbench::load_test
