#pragma once
// The coordinator's decisions without its sockets (docs/ARCHITECTURE.md "Roles"): decoded
// messages, lost connections, the start (t0), ticks and signals go in; messages to send, lines
// to print, the start verdict and how the run ends come out. It holds no socket, calls no MPI
// and reads no clock: every event comes with the time. The shell (coordinator.hpp) owns the
// sockets, turns frames into events and performs the actions; tests drive it in-process.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "common/run_options.hpp"
#include "common/wire/messages.hpp"
#include "common/wire/protocol.hpp"
#include "common/wire/topology.hpp"
#include "common/workload.hpp"
#include "coordinator/orchestrator/record_collector.hpp"
#include "coordinator/orchestrator/run_reports.hpp"

namespace tpbench {

// What the coordinator knows of the run before any rank speaks.
struct CoordinatorPlan {
  RunOptions options;
  wire::Topology topology;
  std::string backend;
  std::vector<int> slots;               // per replica
  std::vector<std::string> rank_hosts;  // world rank -> host
  std::string control_endpoint;         // named when a rank never connects
};

struct StartVerdict {
  int code = 0;  // 0: go (or another rank reports why not); else the coordinator's own failure
  std::string message;
};

namespace coord {

// ---- Events. Times are ns on one steady clock (the shell's: since the coordinator was made).

// The payload of a frame that was not decoded: its header did not decode, it speaks another
// protocol version, or (control) its header names another rank than its connection's identity.
struct Malformed {
  std::string error;
};
struct OtherVersion {
  uint32_t version = 0;
};
struct ClaimsOtherRank {
  int32_t claimed = -1;
};
struct UnexpectedKind {
  wire::MsgKind kind{};
};
// The sender is not one this frame may come from (no identity, or not a leader): not decoded.
struct Undecoded {};
struct Hello {
  wire::HelloMsg msg;
  int connection = -1;  // the connection it came in on (a ConnectionLost names the same)
};

using ControlPayload =
    std::variant<Undecoded, Hello, wire::HeartbeatMsg, wire::ByeMsg, wire::ReadyMsg, wire::ErrorMsg,
                 wire::WorkRequestMsg, wire::DoneMsg, Malformed, OtherVersion, ClaimsOtherRank,
                 UnexpectedKind>;
// A message on the control socket; rank: the identity its connection was admitted under (-1:
// none).
struct Control {
  int rank = -1;
  ControlPayload payload;
};
using RecordsPayload = std::variant<Undecoded, wire::RecordBatchMsg, Malformed, OtherVersion>;
struct Records {
  int rank = -1;
  RecordsPayload payload;
};
// The shell listens: every rank's heartbeat deadline counts from now.
struct Listening {};
struct ConnectionLost {
  int connection = -1;
};
// The start barrier passed: t0 on the events' clock.
struct Started {
  int64_t t0 = 0;
};
// Time passes: deadlines are checked and a run whose records are all in ends.
struct Tick {};
struct Interrupted {
  int signo = 0;
  std::string signal_name;  // "SIGINT"
};
// The shell failed (a frame that would not decode, a send that threw).
struct InternalError {
  std::string what;
};

using Event = std::variant<Control, Records, Listening, ConnectionLost, Started, Tick, Interrupted,
                           InternalError>;

// ---- Actions, performed in order.

struct SendGo {
  int leader_rank = -1;
  wire::GoMsg msg;
};
struct SendWork {
  int leader_rank = -1;
  wire::WorkMsg msg;
};
struct SendAbort {
  int leader_rank = -1;
  std::string reason;
};
struct SendStop {
  int leader_rank = -1;
  std::string reason;
};
struct Warn {  // a warning for the log
  std::string text;
};
struct Notice {  // one line for stderr as it is
  std::string line;
};
struct SetVerdict {  // the start's outcome, awaited by Coordinator::wait_verdict
  StartVerdict verdict;
};

enum class EndHow {
  kReturn,   // the run is over: the coordinator thread ends and wait_finished returns `code`
  kAbort,    // a fault: the job is aborted (MPI_Abort) with `code`
  kExitNow,  // a signal: this process exits with `code` at once
};

// How the run ends: the last action. The shell prints console_line, writes the reports when
// write_reports (complete or marked incomplete with reason), then ends as `how` says. With
// kReturn, a report that cannot be written turns `code` into kExitRunFailed.
struct RunEnd {
  int code = 0;
  std::string reason;  // one line; "" for a complete run
  bool complete = false;
  EndHow how = EndHow::kReturn;
  std::string console_line;   // "" for none
  bool write_reports = true;  // false: the reports of a finished run are out already
  // A lost connection: under mpirun the other ranks may have got a signal first that this
  // process is about to get; the shell waits a moment for it before aborting.
  bool await_signal = false;
};

using Action =
    std::variant<SendGo, SendWork, SendAbort, SendStop, Warn, Notice, SetVerdict, RunEnd>;

}  // namespace coord

// Open loop (every request has scheduled_ns >= 0) with --dispatch dynamic: the coordinator
// pushes each request to the replica with the fewest in flight (sent minus records received;
// ties: the lowest replica) when a tick finds it due within this lead, so it is sent between
// lead - tick interval and lead ahead of its time. A WorkMsg keeps each request's scheduled_ns;
// the last one every replica gets says exhausted; work requests get no answer.
inline constexpr int64_t kOpenLoopLeadNs = 100'000'000;

class CoordinatorCore {
 public:
  CoordinatorCore(CoordinatorPlan plan, std::vector<WorkloadRequest> requests);

  // Feeds one event; appends the actions it causes to `out`. After a RunEnd only Records and
  // Interrupted are still taken (an abort can become an interrupt that reports what came in).
  void handle(int64_t now, coord::Event event, std::vector<coord::Action>& out);

  bool ended() const { return ended_; }
  bool open_loop() const { return open_loop_; }
  // Between go and the end: requests are in flight.
  bool running() const { return phase_ == Phase::kRunning || phase_ == Phase::kStopping; }
  const RecordCollector& collector() const { return collector_; }
  const std::vector<ReplicaState>& replicas() const { return replicas_; }
  // The run as the reports describe it, less what only the shell knows (t0 skew, start time).
  const RunDescription& run() const { return run_; }
  // "rank 3 (replica 1, host a)".
  std::string describe_rank(int rank) const;

 private:
  struct RankState {
    bool hello = false;
    bool bye = false;
    bool engine_ready = false;  // from its heartbeats
    int64_t last_seen_ns = 0;
  };
  // kStopping: --timeout passed, the leaders were told to stop and their done is awaited.
  enum class Phase { kStarting, kRunning, kStopping, kFinished };

  void on(coord::Control& e);
  void on(coord::Records& e);
  void on(coord::Listening& e);
  void on(coord::ConnectionLost& e);
  void on(coord::Started& e);
  void on(coord::Tick& e);
  void on(coord::Interrupted& e);
  void on(coord::InternalError& e);

  void on_control(int, coord::Undecoded&) {}
  void on_control(int rank, coord::Hello& hello);
  void on_control(int rank, wire::HeartbeatMsg& beat);
  void on_control(int rank, wire::ByeMsg& bye);
  void on_control(int rank, wire::ReadyMsg& ready);
  void on_control(int rank, wire::ErrorMsg& err);
  void on_control(int rank, wire::WorkRequestMsg& req);
  void on_control(int rank, wire::DoneMsg& done);
  void on_control(int rank, coord::Malformed& bad);
  void on_control(int rank, coord::OtherVersion& other);
  void on_control(int rank, coord::ClaimsOtherRank& claim);
  void on_control(int rank, coord::UnexpectedKind& unexpected);

  void refuse_start(int rank, const std::string& line);
  void version_mismatch(int rank, uint32_t version);
  void check_start();
  void send_go();
  void serve_work(int rank, int max_requests);
  void dispatch_due();
  void update_load(int replica);
  void check_liveness();
  void check_startup();
  void check_timeout();
  void begin_stop();
  std::string ranks_still_starting() const;
  void check_finished();
  void fault(const std::string& line, bool await_signal = false);
  void end(coord::RunEnd end);
  void emit(coord::Action action) { out_->push_back(std::move(action)); }
  void warn(std::string text) { emit(coord::Warn{std::move(text)}); }
  void send_abort(int leader_rank, std::string reason) {
    emit(coord::SendAbort{leader_rank, std::move(reason)});
  }

  CoordinatorPlan plan_;
  std::vector<WorkloadRequest> requests_;
  RunDescription run_;
  std::vector<ReplicaState> replicas_;
  std::vector<RankState> ranks_;
  std::map<int, int> connection_rank_;  // connection -> rank, from hello
  int engine_ranks_ = 0;                // ranks that serve a replica
  int hellos_ = 0;                      // of those, how many said hello
  int ready_replicas_ = 0;
  RecordCollector collector_;
  uint64_t next_request_ = 0;  // dynamic dispatch
  // Open-loop dynamic dispatch: requests in scheduled order, the next one due, and per replica
  // what was sent and is in flight; by_load_ orders the replicas that take requests.
  bool open_loop_ = false;
  std::vector<uint64_t> schedule_;
  size_t next_scheduled_ = 0;
  std::vector<uint64_t> sent_to_;
  std::vector<uint64_t> in_flight_;
  std::vector<bool> takes_requests_;
  std::set<std::pair<uint64_t, int>> by_load_;  // (in flight, replica)
  Phase phase_ = Phase::kStarting;
  bool start_aborted_ = false;
  bool ended_ = false;
  std::optional<int64_t> t0_;
  std::string stop_reason_;       // set when --timeout ended the run
  int64_t stop_deadline_ns_ = 0;  // kStopping: every leader's done is due by then

  // The event being handled.
  int64_t now_ = 0;
  std::vector<coord::Action>* out_ = nullptr;
};

}  // namespace tpbench
