#include <string>

#include "common/error.hpp"
#include "coordinator/cli/cli.hpp"

namespace tpbench {

void validate_world(const RunOptions& options, int world_size) {
  const int engine_ranks = world_size - (options.coordinator_only_rank ? 1 : 0);
  const std::string where = options.coordinator_only_rank
                                ? " the " + std::to_string(engine_ranks) +
                                      " engine ranks (world size " + std::to_string(world_size) +
                                      " with --coordinator-only-rank)"
                                : " the world size " + std::to_string(world_size);
  if (options.tp < 1) {
    throw InputError("--tp must be a positive integer, got " + std::to_string(options.tp) +
                     " (world size " + std::to_string(world_size) + ")");
  }
  if (engine_ranks < options.tp || engine_ranks % options.tp != 0) {
    throw InputError("--tp " + std::to_string(options.tp) + " does not divide" + where);
  }
}

}  // namespace tpbench
