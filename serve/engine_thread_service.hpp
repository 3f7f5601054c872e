#pragma once
// GenerationService over one tpbench Engine (the TP leader's): a dedicated thread owns every
// add() and step(), sleeps while nothing is pending, and hands each step's tokens to the
// requests' callbacks, stamped with the step's end.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "serve/generation_service.hpp"

namespace tpbench::serve {

class EngineThreadService : public GenerationService {
 public:
  // engine must outlive this object; nothing else may call it until stop() returns.
  explicit EngineThreadService(Engine& engine);
  ~EngineThreadService() override;

  uint64_t submit(EngineRequest request, OnToken on_token, OnDone on_done) override;
  void cancel(uint64_t id) override;
  // Ends the thread (requests still in the engine get no further callbacks). Idempotent.
  void stop();

 private:
  struct Pending {
    EngineRequest request;
    OnToken on_token;
    OnDone on_done;
  };
  struct Callbacks {
    OnToken on_token;
    OnDone on_done;
  };

  void run();
  void admit(std::vector<Pending>& incoming, std::vector<uint64_t>& cancelled);
  void deliver(const StepResult& result, int64_t time_ns);
  void fail_all(const std::string& reason);

  Engine& engine_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> incoming_;    // guarded by mutex_
  std::vector<uint64_t> cancelled_;  // guarded by mutex_
  bool stopping_ = false;            // guarded by mutex_
  std::string broken_;               // guarded by mutex_: the engine threw; every request fails
  uint64_t next_id_ = 1;             // guarded by mutex_
  std::unordered_map<uint64_t, Callbacks> active_;  // engine thread only
  std::thread thread_;
};

}  // namespace tpbench::serve
