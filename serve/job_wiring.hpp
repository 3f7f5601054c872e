#pragma once
// What tpbench_serve's ranks exchange over MPI before the front end and the leaders talk over
// ZeroMQ, beyond common/wire/mpi_exchange.hpp: the leaders' CURVE public keys. Collective over
// MPI_COMM_WORLD: every rank calls it.
#include <map>
#include <string>

#include "common/wire/topology.hpp"
#include "common/wire/transport.hpp"

namespace tpbench::serve {

// Rank 0 gets leader rank -> public key of every leader; the others get an empty map.
std::map<int, std::string> gather_leader_keys(const wire::CurveKeys& mine,
                                              const wire::Topology& topology);

}  // namespace tpbench::serve
