#pragma once
// Shared by the tests/coordinator/workload tests: temp files, the python3 reference script, a tiny tokenizer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "coordinator/workload/sharegpt_sampler.hpp"
#include "tokenizer/tokenizer.hpp"

namespace tpbench::testing {

inline std::string shared_data(const std::string& name) {
  return std::string(TPBENCH_SHARED_DATA_DIR) + "/" + name;
}
inline std::string project_data(const std::string& name) {
  return std::string(TPBENCH_DATA_DIR) + "/" + name;
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tpbench-dataset-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string write(const std::string& name, std::string_view content) const {
    const std::string file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string python3() {
  // Debian's interpreter when present (it has numpy); any python3 will do for stdlib random.
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

// Runs tests/coordinator/workload/lmdeploy_reference.py with `args` and returns its stdout.
inline std::string run_reference(const std::string& args) {
  const std::string command =
      python3() + " " + TPBENCH_SOURCE_DIR + "/tests/coordinator/workload/lmdeploy_reference.py " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  if (pclose(pipe.release()) != 0) throw std::runtime_error("failed: " + command);
  return out;
}

// One token per whitespace-separated word, plus BOS (id 1): cheap, and varied enough on real
// ShareGPT text that every length filter fires.
class WordTokenizer : public Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override {
    std::vector<int32_t> ids;
    if (add_bos) ids.push_back(1);
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && is_space(text[i])) ++i;
      if (i == text.size()) break;
      uint32_t h = 2166136261U;
      while (i < text.size() && !is_space(text[i]))
        h = (h ^ static_cast<uint8_t>(text[i++])) * 16777619U;
      ids.push_back(static_cast<int32_t>(3 + h % 31997));
    }
    return ids;
  }
  std::string decode(std::span<const int32_t>) const override { return {}; }
  int32_t bos_id() const override { return 1; }
  int32_t eos_id() const override { return 2; }
  int32_t vocab_size() const override { return 32000; }
  std::string kind() const override { return "test-words"; }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
};

inline BatchEncoder sequential_encoder(const Tokenizer& tokenizer) {
  return [&tokenizer](const std::vector<std::string_view>& texts, bool add_bos) {
    std::vector<std::vector<int32_t>> out;
    out.reserve(texts.size());
    for (std::string_view t : texts) out.push_back(tokenizer.encode(t, add_bos));
    return out;
  };
}

#define TPBENCH_REQUIRE_FILE(path)                                                  \
  do {                                                                              \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing data: " << (path); \
  } while (0)

}  // namespace tpbench::testing
