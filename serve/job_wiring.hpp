#pragma once
// What tpbench_serve's ranks exchange over MPI before the front end and the leaders talk over
// ZeroMQ: host names, the leaders' CURVE public keys, the dispatcher's endpoints. Collective
// calls over MPI_COMM_WORLD: every rank calls each of them.
#include <map>
#include <string>
#include <vector>

#include "common/wire/topology.hpp"
#include "common/wire/transport.hpp"

namespace tpbench::serve {

// Every rank's host name, by rank.
std::vector<std::string> all_host_names();

// Rank 0 gets leader rank -> public key of every leader; the others get an empty map.
std::map<int, std::string> gather_leader_keys(const wire::CurveKeys& mine,
                                              const wire::Topology& topology);

// Rank 0's endpoints, on every rank.
wire::Endpoints broadcast_endpoints(const wire::Endpoints& mine);

// profile_throughput's coordinator address rule: --coordinator-addr when given (an IP, interface
// or host name; "*": every interface, advertised under rank 0's host name), else loopback when
// every rank runs on rank 0's host, else every interface advertised under rank 0's host name.
struct ListenAddress {
  std::string bind_host;
  std::string advertise_host;
};
ListenAddress dispatcher_address(const std::string& coordinator_addr,
                                 const std::vector<std::string>& hosts);

}  // namespace tpbench::serve
