#pragma once
// The coordinator (docs/ARCHITECTURE.md "Roles", "Wire"): a thread on rank 0 that
// listens on a CURVE-secured ROUTER (presence + control) and PULL (records) socket, admits only the
// run's ranks, starts the replicas, dispatches requests, collects records, watches heartbeats and
// connections, and writes the reports. A lost rank, a silent rank or a start-up longer than
// --startup-timeout ends the run with one line naming the rank, partial reports marked
// incomplete, and MPI_Abort. --timeout (counted from t0) is a planned end: the leaders are told
// to stop, the reports are marked incomplete and every rank exits with kExitTimeout. SIGINT or
// SIGTERM on rank 0 ends the run at once: one line, the reports marked incomplete, exit 128+signo.
//
// This class is the shell: it owns the sockets, turns frames, monitor events, the start and the
// clock into events for CoordinatorCore (coordinator_core.hpp), which decides everything, and
// performs the core's actions: sends, lines, reports, and the end (return, MPI_Abort or exit).
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
#include "coordinator/orchestrator/coordinator_core.hpp"
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
  void loop();
  // Hands one event to the core and performs what it asks.
  void feed(coord::Event event);
  void perform(coord::Action& action);
  void finish(const coord::RunEnd& end);
  [[noreturn]] void abort_run(const coord::RunEnd& end);
  [[noreturn]] void exit_now(const coord::RunEnd& end);
  [[noreturn]] void interrupt(int signo);
  void await_interrupt();
  void drain_control();
  void take_pending_records();
  void drain_monitor();
  void stream_requests();
  bool write_reports(bool complete, const std::string& reason);
  void set_verdict(StartVerdict v);
  int64_t now_ns() const;

  CoordinatorConfig config_;
  int64_t created_ns_ = 0;  // the core's clock starts here; start-up is measured from it to t0
  std::unique_ptr<CoordinatorCore> core_;
  wire::RecordBatchMsg batch_;  // reused decode buffer
  bool t0_fed_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
  // --requests-out is streamed: the first requests_streamed_ records are on disk.
  size_t requests_streamed_ = 0;
  bool requests_started_ = false;
  std::string requests_error_;
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
