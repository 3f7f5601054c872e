#pragma once
// What a job's ranks exchange over MPI before they talk over ZeroMQ (profile_throughput's
// coordinator and workers, tpbench_serve's front end and leaders): host names, CURVE public keys,
// rank 0's endpoints, and where rank 0 listens. Collective calls over MPI_COMM_WORLD: every rank
// calls each of them.
#include <string>
#include <vector>

#include "common/wire/transport.hpp"

namespace tpbench::wire {

// Every rank's string, by rank, on every rank; each cut to width - 1 characters.
std::vector<std::string> all_gather_strings(const std::string& mine, int width);
// The same on rank 0 only (the others get an empty vector).
std::vector<std::string> gather_strings_to_root(const std::string& mine, int width);

// This host's name (gethostname).
std::string this_host_name();

// Rank 0's endpoints, on every rank.
Endpoints broadcast_endpoints(const Endpoints& mine);

// Where rank 0 listens and what the other ranks connect to. --coordinator-addr when given (an
// IP, interface or host name; "*": every interface, advertised under rank 0's host name), else
// loopback when every rank runs on rank 0's host, else every interface advertised under rank
// 0's host name. hosts: every rank's host name, by rank.
struct ListenAddress {
  std::string bind_host;
  std::string advertise_host;
};
ListenAddress listen_address(const std::string& coordinator_addr,
                             const std::vector<std::string>& hosts);

}  // namespace tpbench::wire
