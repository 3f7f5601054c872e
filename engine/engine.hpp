#pragma once
// The inference engine as the worker sees it (docs/ARCHITECTURE.md "Engine"). One instance per
// rank. Nothing here assumes a ModelRunner: BatchedEngine (engine/scheduler/) is one engine; an
// engine that forwards requests to a server is another.
//
// Two roles share the interface. The TP leader's API: add(), step(), pending(), shutdown(),
// stats(). The follower's API: run_follower(), which executes the plans the leader's step()
// broadcasts until the leader calls shutdown(). The worker calls run_follower() only on ranks
// that are not a replica's leader, so an engine whose replica is one rank never runs it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/engine_options.hpp"
#include "common/engine_stats.hpp"
#include "common/gpu_identity.hpp"

namespace tpbench {

class Communicator;

struct SamplingParams {
  int top_k = 1;
  float top_p = 0.8f;
  float temperature = 0.8f;
  uint64_t seed = 0;  // per-request stream: the same seed gives the same tokens
};

// Greedy decoding (the argmax) rather than a draw.
inline bool is_greedy(const SamplingParams& params) {
  return params.top_k == 1 || params.temperature <= 0.0f;
}

// The most stop tokens one request may name (a GPU sampler reserves room for them per row).
inline constexpr size_t kMaxStopTokenIds = 16;

struct EngineRequest {
  uint64_t id = 0;
  std::vector<int32_t> prompt;
  std::string prompt_text;  // --backend openai with --prompt-format text: what is sent
  // At most this many tokens; exactly this many when stop_token_ids is empty (ignore_eos, the
  // benchmark's rule).
  int32_t max_new_tokens = 0;
  // The request ends after it generates one of these (that token is its last: reported with
  // finished set and counted). A server's EOS ids unless the client asked for ignore_eos.
  std::vector<int32_t> stop_token_ids;
  // Stop tokens cannot be sampled (their logits are masked) until this many tokens exist.
  int32_t min_new_tokens = 0;
  SamplingParams sampling;
};

// Times are steady-clock nanoseconds (steady_now_ns() of common/clock.hpp, the base of the
// run's t0), taken where the engine learns the fact: a token when its forward pass and sampling
// return (an engine that forwards to a server: when the token's bytes arrive), a failure when
// the engine gives up on the request. The leader converts them to ns since t0.
struct StepResult {
  struct Token {
    uint64_t request_id;
    int32_t token;
    bool finished;        // this was the request's last token
    int64_t time_ns = 0;  // steady_now_ns() when the token became available
  };
  // What a client backend (--backend openai) learns of a request it finished: the server's
  // token counts. Given in the step that carries the request's finished token.
  struct Accounting {
    uint64_t request_id;
    int32_t prompt_tokens = -1;  // usage.prompt_tokens; -1: the server sent none
    int32_t output_tokens = -1;  // usage.completion_tokens; -1: the server sent none
  };
  struct Failure {
    uint64_t request_id;
    std::string reason;
    int64_t time_ns;  // when the engine gave up on the request
  };
  std::vector<Token> tokens;      // in the order they were produced this step
  std::vector<Failure> failures;  // requests the engine gave up on (too long, ...)
  std::vector<Accounting> accounting;
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Leader API.
  virtual void add(EngineRequest request) = 0;
  // Runs one iteration; its tokens and failures, each with the time it became known.
  virtual StepResult step() = 0;
  // Requests added and not yet finished or failed.
  virtual size_t pending() const = 0;
  // Ends a request now, between steps: no token or failure is reported for it afterwards and
  // whatever it held (KV blocks, a transfer) is released. An id not pending is ignored.
  virtual void cancel(uint64_t id) = 0;
  // Ends the run: no step() after it; a leader's followers leave run_follower(). Idempotent.
  virtual void shutdown() = 0;
  virtual EngineStats stats() const = 0;
  // Follower API (TP ranks other than the leader): returns once the leader shuts down.
  virtual void run_follower() = 0;
  // Both roles.
  virtual std::string describe() const = 0;  // one line: backend, model, dtype, kv blocks
  // The GPU this rank computes on; none on the cpu and sim backends.
  virtual std::optional<GpuIdentity> device() const { return std::nullopt; }
};

// An Engine around another one: every call goes to the inner engine unless a subclass
// overrides it (the worker's fault hooks, the replica engine that owns its communicator).
class EngineDecorator : public Engine {
 public:
  explicit EngineDecorator(std::unique_ptr<Engine> inner) : inner_(std::move(inner)) {}
  void add(EngineRequest request) override { inner_->add(std::move(request)); }
  StepResult step() override { return inner_->step(); }
  size_t pending() const override { return inner_->pending(); }
  void cancel(uint64_t id) override { inner_->cancel(id); }
  void run_follower() override { inner_->run_follower(); }
  void shutdown() override { inner_->shutdown(); }
  EngineStats stats() const override { return inner_->stats(); }
  std::string describe() const override { return inner_->describe(); }
  std::optional<GpuIdentity> device() const override { return inner_->device(); }

 protected:
  std::unique_ptr<Engine> inner_;
};

// MODEL_DIR/config.json's vocab_size alone, whatever the model type, for checking token ids
// before any engine is built (the sim backend builds none). nullopt when there is no
// config.json or it has no vocab_size; InputError naming the file when it is not a JSON object
// or vocab_size is not a positive 32-bit integer. (Defined beside the config parser.)
std::optional<int32_t> read_vocab_size(const std::string& model_dir);

// comm: the replica's TP communicator (size 1 when tp == 1). Throws InputError on a bad
// model directory or option.
std::unique_ptr<Engine> make_engine(const EngineOptions& options, Communicator& comm);

// An MPI communicator as the integer handle MPI_Comm_c2f gives (MPI's own portable way to pass
// one around), so that this header, which the worker includes, needs no mpi.h.
using MpiCommHandle = int;

// The worker's factory: make_engine over the replica's TP communicator `replica_comm`. The
// returned engine owns the Communicator it builds over it (not the MPI communicator itself).
// node_comm, the engine ranks of this node (MPI_Comm_c2f(MPI_COMM_NULL): none), becomes
// options.node_all_gather, over which the cuda backend exchanges GPU identities.
std::unique_ptr<Engine> make_replica_engine(EngineOptions options, MpiCommHandle replica_comm,
                                            MpiCommHandle node_comm);

}  // namespace tpbench
