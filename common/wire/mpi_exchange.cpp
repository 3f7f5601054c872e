#include "common/wire/mpi_exchange.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>

#include "common/mpi_check.hpp"
#include "common/wire/codec.hpp"

namespace tpbench::wire {
namespace {

int world_rank() {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  return rank;
}

int world_size() {
  int world = 1;
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  return world;
}

// Fixed-width records, so that one collective moves every rank's string.
std::vector<char> fixed_width(const std::string& mine, int width) {
  std::vector<char> record(width, 0);
  std::copy_n(mine.begin(), std::min<size_t>(mine.size(), width - 1), record.begin());
  return record;
}

std::vector<std::string> split_records(const std::vector<char>& all, int width, int count) {
  std::vector<std::string> out;
  for (int r = 0; r < count; ++r) out.emplace_back(all.data() + static_cast<size_t>(r) * width);
  return out;
}

}  // namespace

std::vector<std::string> all_gather_strings(const std::string& mine, int width) {
  const int world = world_size();
  const std::vector<char> send = fixed_width(mine, width);
  std::vector<char> recv(static_cast<size_t>(width) * world, 0);
  MPI_CHECK(
      MPI_Allgather(send.data(), width, MPI_CHAR, recv.data(), width, MPI_CHAR, MPI_COMM_WORLD));
  return split_records(recv, width, world);
}

std::vector<std::string> gather_strings_to_root(const std::string& mine, int width) {
  const int world = world_size();
  const bool root = world_rank() == 0;
  const std::vector<char> send = fixed_width(mine, width);
  std::vector<char> recv(root ? static_cast<size_t>(width) * world : 0, 0);
  MPI_CHECK(
      MPI_Gather(send.data(), width, MPI_CHAR, recv.data(), width, MPI_CHAR, 0, MPI_COMM_WORLD));
  return root ? split_records(recv, width, world) : std::vector<std::string>{};
}

std::string this_host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

Endpoints broadcast_endpoints(const Endpoints& mine) {
  msgpack::sbuffer buf;
  if (world_rank() == 0) msgpack::pack(buf, mine);
  int size = static_cast<int>(buf.size());
  MPI_CHECK(MPI_Bcast(&size, 1, MPI_INT, 0, MPI_COMM_WORLD));
  std::vector<char> bytes(buf.data(), buf.data() + buf.size());
  bytes.resize(size);
  MPI_CHECK(MPI_Bcast(bytes.data(), size, MPI_CHAR, 0, MPI_COMM_WORLD));
  return decode_payload<Endpoints>(bytes.data(), bytes.size());
}

ListenAddress listen_address(const std::string& coordinator_addr,
                             const std::vector<std::string>& hosts) {
  if (!coordinator_addr.empty())
    return {coordinator_addr, coordinator_addr == "*" ? hosts[0] : coordinator_addr};
  const bool single_node =
      std::all_of(hosts.begin(), hosts.end(), [&](const std::string& h) { return h == hosts[0]; });
  if (single_node) return {"127.0.0.1", "127.0.0.1"};
  return {"*", hosts[0]};
}

}  // namespace tpbench::wire
