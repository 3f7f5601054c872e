#pragma once
// The front end's GenerationService over every replica of the job: a ROUTER socket (CURVE, with
// a ZAP handler that admits only the job's leader ranks, as profile_throughput's coordinator
// does) that the leaders' replica loops connect to, and one thread that sends each replica its
// requests and cancels and hands its step events to the requests' callbacks.
//
// Dispatch: a request goes to the serving replica with the fewest requests in flight (ties: the
// lowest replica). A replica whose engine fails fails its requests in flight with its reason and
// gets no new ones; with none left, submissions fail ("no replica is serving: ...").
//
// The thread sleeps in zmq_poll over the socket and an eventfd that submit() and cancel()
// signal: a step's events reach the callbacks as soon as they arrive, a request leaves at once.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "common/error.hpp"
#include "common/wire/topology.hpp"
#include "common/wire/transport.hpp"
#include "serve/generation_service.hpp"

namespace tpbench::serve {

struct DispatcherConfig {
  wire::Topology topology;
  std::map<int, std::string> leader_keys;  // leader rank -> its CURVE public key (z85)
  std::string bind_host;                   // "127.0.0.1", or "*" when leaders are on other hosts
  std::string advertise_host;              // what the leaders connect to when bind_host is "*"
  double startup_timeout_s = 600;          // --startup-timeout: leaders' ready; 0 = no limit
};

class ReplicaDispatcher final : public GenerationService {
 public:
  // Binds the socket (before any leader connects). Throws when it cannot.
  ReplicaDispatcher(zmq::context_t& context, DispatcherConfig config);
  ~ReplicaDispatcher() override;

  // Where the leaders connect (rank 0 broadcasts it over MPI).
  const wire::Endpoints& endpoints() const { return endpoints_; }
  // Starts the thread; then blocks until every leader said ready, one reported an error, or
  // --startup-timeout passed (naming the replicas whose leaders never said ready).
  ExitStatus start_and_wait_ready();
  // Sends stop to every leader and waits for each one's done (its engine is shut down), then ends
  // the thread. Requests still in flight fail ("the server is shutting down"). Idempotent.
  void stop();

  Submitted submit(EngineRequest request, OnToken on_token, OnDone on_done) override;
  void cancel(uint64_t id) override;
  std::vector<ReplicaCounters> counters() const override;

 private:
  struct Pending {
    int replica;
    EngineRequest request;
    OnToken on_token;
    OnDone on_done;
  };
  struct Active {
    int replica;
    OnToken on_token;
    OnDone on_done;
  };

  void run();
  void wake();
  void take_submissions();
  void take_messages();
  void on_events(int replica, const wire::ServeEventsMsg& events);
  void on_replica_failed(int replica, const std::string& reason);
  void end_request(std::unordered_map<uint64_t, Active>::iterator it, bool ok,
                   const std::string& reason);
  void send_stop_to_all();
  int replica_of_rank(int rank) const;

  DispatcherConfig config_;
  wire::CurveKeys server_keys_;
  std::unique_ptr<wire::ZapAuthenticator> zap_;
  zmq::socket_t router_;
  wire::Endpoints endpoints_;
  int wake_fd_ = -1;

  mutable std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::vector<ReplicaCounters> replicas_;  // guarded by mutex_
  std::vector<Pending> incoming_;          // guarded by mutex_
  std::vector<uint64_t> cancelled_;        // guarded by mutex_
  uint64_t next_id_ = 1;                   // guarded by mutex_
  bool stopping_ = false;                  // guarded by mutex_

  std::unordered_map<uint64_t, Active> active_;  // the dispatcher thread's
  bool stop_sent_ = false;                       // the dispatcher thread's
  std::thread thread_;
};

}  // namespace tpbench::serve
