#include "serve/job_wiring.hpp"

#include <vector>

#include "common/wire/mpi_exchange.hpp"

namespace tpbench::serve {

std::map<int, std::string> gather_leader_keys(const wire::CurveKeys& mine,
                                              const wire::Topology& topology) {
  const std::vector<std::string> keys = wire::gather_strings_to_root(mine.public_z85, 64);
  std::map<int, std::string> leaders;
  for (int r = 0; r < static_cast<int>(keys.size()); ++r)
    if (topology.is_leader(r)) leaders[r] = keys[r];
  return leaders;
}

}  // namespace tpbench::serve
