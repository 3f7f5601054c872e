#pragma once
// A small known run for the report tests, and a way to read reports back through python3.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "coordinator/report/metrics.hpp"
#include "coordinator/report/report.hpp"

namespace tpbench::test {

inline RequestRecord fixture_record(uint64_t id, int32_t replica, int64_t submit,
                                    std::vector<int64_t> token_ns) {
  RequestRecord r;
  r.id = id;
  r.replica = replica;
  r.prompt_tokens = 100 + static_cast<int32_t>(id);
  r.output_tokens = static_cast<int32_t>(token_ns.size());
  r.scheduled_ns = submit;  // a closed loop: due when taken in
  r.submit_ns = submit;
  r.first_token_ns = token_ns.front();
  r.finish_ns = token_ns.back();
  r.token_ns = std::move(token_ns);
  for (int32_t k = 0; k < r.output_tokens; ++k) r.token_ids.push_back(1000 + k);
  return r;
}

// Four requests over two replicas: three complete, one failed. Times in ms for readability.
inline std::vector<RequestRecord> fixture_records() {
  constexpr int64_t ms = 1'000'000;
  std::vector<RequestRecord> records{
      fixture_record(0, 0, 0, {100 * ms, 300 * ms, 500 * ms, 700 * ms}),
      fixture_record(1, 1, 0, {200 * ms, 400 * ms}),
      fixture_record(2, 0, 700 * ms, {900 * ms, 1200 * ms, 1500 * ms}),
      fixture_record(3, 1, 400 * ms, {600 * ms})};
  records[3].ok = false;
  records[3].error = "replica 1 lost, \"heartbeat\" timeout";
  records[3].finish_ns = 2000 * ms;
  records[3].token_ids.clear();
  return records;
}

inline RunInfo fixture_info(bool streaming = true) {
  RunInfo info;
  info.options.concurrency = 4;
  info.options.num_prompts = 5;
  info.options.tp = 2;
  info.options.stream_output = streaming;
  info.options.dataset_path = "data/sharegpt.json";
  info.options.engine.model_dir = "models/llama";
  info.backend = "sim";
  info.tpbench_version = "0.1.0";
  info.started_at = "2026-11-27T21:00:00Z";
  info.world_size = 4;
  info.replicas = 2;
  info.hosts = {"node-a", "node-b"};
  info.gpus = {{0, {"NVIDIA H200", "0000:19:00.0", 150'109'978'624}},
               {1, {"NVIDIA H200", "0000:3b:00.0", 150'109'978'624}}};
  info.t0_skew_ns = 1234;
  info.startup_s = 12.25;
  return info;
}

inline Metrics fixture_metrics(bool streaming = true) {
  return compute_metrics(fixture_records(), 5, {50, 75, 95, 99}, streaming);
}

inline std::vector<ReplicaSummary> fixture_replicas() {
  ReplicaSummary a;
  a.replica = 0;
  a.leader_rank = 0;
  a.ranks = {0, 1};
  a.host = "node-a";
  a.engine = "sim tp=2";
  a.startup_s = 11.5;
  a.requests = 2;
  a.output_tokens = 7;
  a.output_throughput = 3.5;
  a.stats.busy_ns = 1'500'000'000;
  a.busy_percent = 75.0;
  a.stats.preemptions = 0;
  a.stats.steps = 40;
  ReplicaSummary b = a;
  b.replica = 1;
  b.leader_rank = 2;
  b.ranks = {2, 3};
  b.host = "node-b";
  b.requests = 1;
  b.output_tokens = 2;
  b.output_throughput = 1.0;
  b.busy_percent = 12.5;
  b.stats.preemptions = 3;
  return {a, b};
}

inline std::string scratch_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/tpbench-report-" + std::to_string(::getpid()) + "-" +
         name;
}

// A scratch folder under TMPDIR, removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& prefix = "dir-")
      : path(std::filesystem::path(scratch_path(prefix)) += std::to_string(counter()++)) {
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  size_t entries() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(path), {}));
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

inline void put(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs flatten_reports.py MODE PATH; returns its KEY=VALUE lines as a map.
inline std::map<std::string, std::string> read_back(const std::string& mode,
                                                    const std::string& path) {
  const std::string dest = path + ".flat";
  const std::string command = "/usr/bin/python3 " + std::string(TPBENCH_SOURCE_DIR) +
                              "/tests/coordinator/report/flatten_reports.py " + mode + " " + path + " " + dest;
  std::map<std::string, std::string> flat;
  if (std::system(command.c_str()) != 0) return flat;
  std::ifstream in(dest);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) flat[line.substr(0, eq)] = line.substr(eq + 1);
  }
  std::remove(dest.c_str());
  return flat;
}

}  // namespace tpbench::test
