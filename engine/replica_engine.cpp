// make_replica_engine: the worker's way to an engine over MPI, so that the worker needs no
// engine/comm header (docs/ARCHITECTURE.md "Engine").
#include <mpi.h>

#include <type_traits>
#include <utility>

#include "engine/comm/mpi_communicator.hpp"
#include "engine/comm/mpi_gather.hpp"
#include "engine/engine.hpp"

namespace tpbench {
namespace {

static_assert(std::is_same_v<MPI_Fint, MpiCommHandle>, "MpiCommHandle must hold an MPI_Fint");

// An engine that owns the Communicator the inner engine runs over (which must outlive it).
class ReplicaEngine final : public Engine {
 public:
  ReplicaEngine(std::unique_ptr<Communicator> comm, std::unique_ptr<Engine> inner)
      : comm_(std::move(comm)), inner_(std::move(inner)) {}
  ~ReplicaEngine() override { inner_.reset(); }  // before comm_
  void add(EngineRequest request) override { inner_->add(std::move(request)); }
  StepResult step() override { return inner_->step(); }
  size_t pending() const override { return inner_->pending(); }
  void run_follower() override { inner_->run_follower(); }
  void shutdown() override { inner_->shutdown(); }
  EngineStats stats() const override { return inner_->stats(); }
  std::string describe() const override { return inner_->describe(); }
  std::optional<GpuIdentity> device() const override { return inner_->device(); }

 private:
  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<Engine> inner_;
};

}  // namespace

std::unique_ptr<Engine> make_replica_engine(EngineOptions options, MpiCommHandle replica_comm,
                                            MpiCommHandle node_comm) {
  const MPI_Comm node = MPI_Comm_f2c(node_comm);
  if (node != MPI_COMM_NULL)
    options.node_all_gather = [node](const std::string& mine) {
      return all_gather_strings(node, mine);
    };
  auto comm = std::make_unique<MpiCommunicator>(MPI_Comm_f2c(replica_comm));
  auto engine = make_engine(options, *comm);
  return std::make_unique<ReplicaEngine>(std::move(comm), std::move(engine));
}

}  // namespace tpbench
