#include "coordinator/app/cluster_run.hpp"

#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/mpi_check.hpp"
#include "common/wire/mpi_exchange.hpp"
#include "common/wire/topology.hpp"
#include "coordinator/app/backend_detect.hpp"
#include "coordinator/app/mpi_agreement.hpp"
#include "coordinator/cli/cli.hpp"
#include "coordinator/orchestrator/coordinator.hpp"
#include "coordinator/orchestrator/termination.hpp"
#include "coordinator/report/output_paths.hpp"
#include "coordinator/workload/workload.hpp"
#include "worker/rank_worker.hpp"
#include "worker/test_hooks.hpp"

namespace tpbench {
namespace {

// Only rank 0 may print --help / --version; the others parse with stdout muted.
CliResult parse_on_rank(int rank, int argc, char** argv) {
  int saved = -1;
  if (rank != 0) {
    std::fflush(stdout);
    saved = ::dup(STDOUT_FILENO);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDOUT_FILENO);
      ::close(devnull);
    }
  }
  struct Restore {
    int fd;
    ~Restore() {
      if (fd < 0) return;
      std::cout.flush();
      std::fflush(stdout);
      ::dup2(fd, STDOUT_FILENO);
      ::close(fd);
    }
  } restore{saved};
  return parse_command_line(argc, argv);
}

std::string iso8601_utc(int64_t system_ns) {
  std::time_t secs = static_cast<std::time_t>(system_ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>((system_ns / 1'000'000) % 1000));
  return out;
}

}  // namespace

int run_cluster(int argc, char** argv) {
  int rank = 0, world = 1;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  set_log_prefix("rank " + std::to_string(rank));

  // 1. Command line: every rank parses the same argv, so all reach the same verdict.
  CliResult cli;
  wire::Topology topo;
  WorkerStatus status = exit_status_of([&] {
    cli = parse_on_rank(rank, argc, argv);
    if (!cli.exit_now)
      topo = wire::make_topology(world, cli.options.tp, cli.options.coordinator_only_rank);
    // The coordinator writes the reports, so its host's file system is the one to check.
    if (!cli.exit_now && rank == 0) check_output_paths(cli.options);
  });
  if (int code = agree_on_status(status)) return code;
  if (cli.exit_now) return cli.exit_code;
  const RunOptions& options = cli.options;

  // 2. --dry-run: rank 0 samples and prints the workload.
  if (options.dry_run) {
    if (rank == 0)
      status =
          exit_status_of([&] { print_workload_summary(build_workload(options), options, stdout); });
    std::fflush(stdout);
    return agree_on_status(status);
  }

  // 3. Roles.
  const int replica = topo.replica_of(rank);
  const Backend backend = resolve_backend(options.engine.backend);
  MPI_Comm replica_comm = MPI_COMM_NULL;
  MPI_CHECK(
      MPI_Comm_split(MPI_COMM_WORLD, replica >= 0 ? replica : MPI_UNDEFINED, rank, &replica_comm));
  // GPUs go to the engine ranks of a node in order (a coordinator-only rank takes none); the
  // engines gather their GPUs' identities over node_comm.
  int local_rank = 0, local_size = 1;
  MPI_Comm node_comm = MPI_COMM_NULL;
  {
    MPI_Comm engine_comm = MPI_COMM_NULL;
    MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, replica >= 0 ? 0 : MPI_UNDEFINED, rank, &engine_comm));
    if (engine_comm != MPI_COMM_NULL) {
      MPI_CHECK(
          MPI_Comm_split_type(engine_comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node_comm));
      MPI_CHECK(MPI_Comm_rank(node_comm, &local_rank));
      MPI_CHECK(MPI_Comm_size(node_comm, &local_size));
      MPI_Comm_free(&engine_comm);
    }
  }
  const std::string host = wire::this_host_name();
  const std::vector<std::string> hosts = wire::all_gather_strings(host, 256);

  // 4. Workload (rank 0), then the coordinator's keys and sockets.
  Workload workload;
  if (rank == 0)
    status = exit_status_of([&] {
      workload = build_workload(options);
      test_schedule_hook(workload.requests);
    });
  if (int code = agree_on_status(status)) return code;
  // Open loop when the requests carry scheduled times: -c makes no slots then
  // (docs/ARCHITECTURE.md "Arrivals").
  int open_loop = rank == 0 && has_schedule(workload.requests) ? 1 : 0;
  MPI_CHECK(MPI_Bcast(&open_loop, 1, MPI_INT, 0, MPI_COMM_WORLD));
  const std::vector<int> slots =
      open_loop ? wire::split_open_loop_slots(options.max_concurrency, topo.replicas)
                : wire::split_slots(options.concurrency, topo.replicas);

  wire::CurveKeys keys;
  status = exit_status_of([&] { keys = wire::make_curve_keys(); });
  if (int code = agree_on_status(status)) return code;
  const std::vector<std::string> public_keys = wire::gather_strings_to_root(keys.public_z85, 64);

  std::unique_ptr<Coordinator> coordinator;
  if (rank == 0) {
    status = exit_status_of([&] {
      install_termination_watch();
      CoordinatorConfig cfg;
      cfg.options = options;
      cfg.topology = topo;
      cfg.backend = std::string(name_of(backend));
      cfg.slots = slots;
      cfg.rank_hosts = hosts;
      for (int r = 0; r < world; ++r)
        if (topo.replica_of(r) >= 0) cfg.client_keys[r] = public_keys[r];
      const wire::ListenAddress address = wire::listen_address(options.coordinator_addr, hosts);
      cfg.bind_host = address.bind_host;
      cfg.advertise_host = address.advertise_host;
      coordinator = std::make_unique<Coordinator>(std::move(cfg), std::move(workload));
    });
  }
  if (int code = agree_on_status(status)) return code;
  if (rank != 0) defer_worker_interrupts();
  const wire::Endpoints endpoints =
      wire::broadcast_endpoints(coordinator ? coordinator->endpoints() : wire::Endpoints{});
  if (coordinator) coordinator->start();

  // 5. Engines; leaders report ready and receive their shard.
  std::unique_ptr<RankWorker> worker;
  if (replica >= 0) {
    WorkerSetup setup;
    setup.options = options;
    setup.topology = topo;
    setup.rank = rank;
    setup.local_rank = local_rank;
    setup.local_size = local_size;
    setup.host = host;
    setup.backend = backend;
    setup.slots = slots;
    setup.replica_comm = replica_comm;
    setup.node_comm = node_comm;
    worker = std::make_unique<RankWorker>(std::move(setup), endpoints, keys);
    status = worker->prepare();
  }
  if (coordinator) {
    StartVerdict verdict = coordinator->wait_verdict();
    if (verdict.code != 0 && status.code == 0) status = {verdict.code, verdict.message};
  }
  if (int code = agree_on_status(status)) {
    if (coordinator) coordinator->cancel();
    if (worker) worker->finish(code);
    return code;
  }

  // 6. Start barrier: t0 is each rank's steady clock at its exit.
  MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
  const int64_t t0 = steady_now_ns();
  const int64_t wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  std::vector<int64_t> walls(rank == 0 ? world : 0);
  MPI_CHECK(MPI_Gather(&wall, 1, MPI_INT64_T, walls.data(), 1, MPI_INT64_T, 0, MPI_COMM_WORLD));
  if (coordinator) {
    auto [lo, hi] = std::minmax_element(walls.begin(), walls.end());
    coordinator->set_start(t0, *hi - *lo, iso8601_utc(walls[0]));
  }

  // 7. The rank's role.
  if (worker) {
    status = worker->run(RunClock(t0));
    worker->finish(status.code);
  }
  int exit_code = coordinator ? coordinator->wait_finished() : 0;
  MPI_CHECK(MPI_Bcast(&exit_code, 1, MPI_INT, 0, MPI_COMM_WORLD));
  worker.reset();
  if (replica_comm != MPI_COMM_NULL) MPI_Comm_free(&replica_comm);
  if (node_comm != MPI_COMM_NULL) MPI_Comm_free(&node_comm);
  return exit_code;
}

}  // namespace tpbench
