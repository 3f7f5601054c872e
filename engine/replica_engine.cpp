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
class ReplicaEngine final : public EngineDecorator {
 public:
  ReplicaEngine(std::unique_ptr<Communicator> comm, std::unique_ptr<Engine> inner)
      : EngineDecorator(std::move(inner)), comm_(std::move(comm)) {}
  ~ReplicaEngine() override { inner_.reset(); }  // before comm_

 private:
  std::unique_ptr<Communicator> comm_;
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
