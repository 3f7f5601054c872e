#include "serve/job_wiring.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>

#include "common/mpi_check.hpp"

namespace tpbench::serve {
namespace {

// Fixed-width records, so that one MPI_Allgather moves every rank's string.
std::vector<std::string> all_gather_fixed(const std::string& mine, int width) {
  int world = 1;
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  std::vector<char> send(width, 0), recv(static_cast<size_t>(width) * world, 0);
  std::copy_n(mine.begin(), std::min<size_t>(mine.size(), width - 1), send.begin());
  MPI_CHECK(
      MPI_Allgather(send.data(), width, MPI_CHAR, recv.data(), width, MPI_CHAR, MPI_COMM_WORLD));
  std::vector<std::string> out;
  for (int r = 0; r < world; ++r) out.emplace_back(recv.data() + static_cast<size_t>(r) * width);
  return out;
}

}  // namespace

std::vector<std::string> all_host_names() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return all_gather_fixed(buf, 256);
}

std::map<int, std::string> gather_leader_keys(const wire::CurveKeys& mine,
                                              const wire::Topology& topology) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  const std::vector<std::string> keys = all_gather_fixed(mine.public_z85, 64);
  std::map<int, std::string> leaders;
  if (rank == 0)
    for (int r = 0; r < topology.world_size; ++r)
      if (topology.is_leader(r)) leaders[r] = keys[r];
  return leaders;
}

wire::Endpoints broadcast_endpoints(const wire::Endpoints& mine) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  msgpack::sbuffer buf;
  if (rank == 0) msgpack::pack(buf, mine);
  int size = static_cast<int>(buf.size());
  MPI_CHECK(MPI_Bcast(&size, 1, MPI_INT, 0, MPI_COMM_WORLD));
  std::vector<char> bytes(buf.data(), buf.data() + buf.size());
  bytes.resize(size);
  MPI_CHECK(MPI_Bcast(bytes.data(), size, MPI_CHAR, 0, MPI_COMM_WORLD));
  return wire::decode_payload<wire::Endpoints>(bytes.data(), bytes.size());
}

ListenAddress dispatcher_address(const std::string& coordinator_addr,
                                 const std::vector<std::string>& hosts) {
  if (!coordinator_addr.empty())
    return {coordinator_addr, coordinator_addr == "*" ? hosts[0] : coordinator_addr};
  const bool single_node =
      std::all_of(hosts.begin(), hosts.end(), [&](const std::string& h) { return h == hosts[0]; });
  if (single_node) return {"127.0.0.1", "127.0.0.1"};
  return {"*", hosts[0]};
}

}  // namespace tpbench::serve
