#pragma once
// The coordinator (docs/ARCHITECTURE.md "Roles", "Wire"): a thread on rank 0 that
// listens on a CURVE-secured ROUTER (presence + control) and PULL (records) socket, admits only the
// run's ranks, starts the replicas, dispatches requests, collects records, watches heartbeats and
// connections, and writes the reports. A lost rank, a silent rank or a start-up longer than
// --startup-timeout ends the run with one line naming the rank, partial reports marked
// incomplete, and MPI_Abort. --timeout (counted from t0) is a planned end: the leaders are told
// to stop, the reports are marked incomplete and every rank exits with kExitTimeout. SIGINT or
// SIGTERM on rank 0 ends the run at once: one line, the reports marked incomplete, exit 128+signo.
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/run_options.hpp"
#include "common/wire/topology.hpp"
#include "common/wire/transport.hpp"
#include "coordinator/orchestrator/run_reports.hpp"
#include "coordinator/workload/workload.hpp"

namespace tpbench {

struct CoordinatorConfig {
  RunOptions options;
  wire::Topology topology;
  std::string backend;
  std::vector<int> slots;                  // per replica
  std::vector<std::string> rank_hosts;     // world rank -> host
  std::map<int, std::string> client_keys;  // worker rank -> CURVE public key (z85)
  std::string bind_host;                   // IP, interface or host name to listen on; "*" = all
  std::string advertise_host;              // what the ranks connect to when bind_host is "*"
};

struct StartVerdict {
  int code = 0;  // 0: go (or another rank reports why not); else the coordinator's own failure
  std::string message;
};

class Coordinator {
 public:
  // Listens at once. Throws InputError when it cannot listen on bind_host.
  Coordinator(CoordinatorConfig config, Workload workload);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  const wire::Endpoints& endpoints() const { return endpoints_; }

  void start();
  // Blocks until every worker rank has said hello and every leader is ready (or one failed).
  StartVerdict wait_verdict();
  // From the main thread after the start barrier: t0 on rank 0's steady clock.
  void set_start(int64_t t0_steady_ns, int64_t t0_skew_ns, std::string started_at);
  // Blocks until the run ends; returns the exit code (0: complete, kExitTimeout: --timeout).
  int wait_finished();
  // Ends the thread without reports (the start was aborted).
  void cancel();

 private:
  struct RankState {
    bool hello = false;
    bool bye = false;
    bool engine_ready = false;  // from its heartbeats
    int bye_code = 0;
    int64_t last_seen_ns = 0;
    std::string host;
  };
  // kStopping: --timeout passed, the leaders were told to stop and their done is awaited.
  enum class Phase { kStarting, kRunning, kStopping, kFinished };

  void loop();
  void handle_control(wire::Received& msg);
  void handle_records(wire::Received& msg);
  void handle_monitor_event();
  [[noreturn]] void interrupt(int signo);
  void await_interrupt();
  void take_pending_records();
  void stream_requests();
  void drain_control();
  void check_start();
  void check_liveness(int64_t now);
  void check_startup(int64_t now);
  void check_timeout(int64_t now);
  void begin_stop();
  std::string ranks_still_starting() const;
  void check_finished();
  void send_go();
  void send_abort_to(int leader_rank, const std::string& reason);
  void send_stop_to(int leader_rank, const std::string& reason);
  bool write_reports(bool complete, const std::string& reason);
  void serve_work(int rank, int max_requests);
  void set_verdict(StartVerdict v);
  void version_mismatch(int rank, uint32_t version);
  [[noreturn]] void fault(const std::string& line);
  std::string describe_rank(int rank) const;
  int64_t now_ns() const;
  int rank_of(const wire::Received& msg) const;

  CoordinatorConfig config_;
  Workload workload_;
  RunDescription run_;
  std::vector<ReplicaState> replicas_;
  std::vector<RankState> ranks_;
  std::map<int, int> fd_to_rank_;
  RecordCollector collector_;
  wire::RecordBatchMsg batch_;  // reused decode buffer
  uint64_t next_request_ = 0;   // dynamic dispatch
  Phase phase_ = Phase::kStarting;
  bool start_aborted_ = false;
  int exit_code_ = 0;
  int64_t created_ns_ = 0;   // start-up is measured from here to t0
  std::string stop_reason_;  // set when --timeout ended the run
  // --requests-out is streamed: records_[0, requests_streamed_) are on disk.
  size_t requests_streamed_ = 0;
  bool requests_started_ = false;
  std::string requests_error_;
  int64_t stop_deadline_ns_ = 0;  // kStopping: every leader's done is due by then
  std::atomic<int64_t> t0_ns_{0};
  std::atomic<bool> cancel_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<StartVerdict> verdict_;
  int64_t t0_skew_ns_ = 0;
  std::string started_at_;

  zmq::context_t context_;
  std::unique_ptr<wire::ZapAuthenticator> zap_;
  zmq::socket_t router_;
  zmq::socket_t pull_;
  zmq::socket_t monitor_;
  wire::CurveKeys server_keys_;
  wire::Endpoints endpoints_;
  std::thread thread_;
};

}  // namespace tpbench
