// tpbench_serve: mpirun -np N tpbench_serve MODEL --tp T [--host H] [--port P] [engine flags].
// N/T replicas of T ranks. Rank 0 runs the HTTP front end and the dispatcher over every replica,
// and leads replica 0 (its replica loop on a thread of its own). The other leaders run their
// replica loop; the remaining ranks follow their leader's engine steps (run_follower) until it
// shuts the engine down.
#include <mpi.h>

#include <sys/resource.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/mpi_check.hpp"
#include "common/wire/mpi_exchange.hpp"
#include "common/wire/topology.hpp"
#include "coordinator/app/backend_detect.hpp"
#include "engine/engine.hpp"
#include "serve/http_server.hpp"
#include "serve/job_wiring.hpp"
#include "serve/replica_dispatcher.hpp"
#include "serve/replica_loop.hpp"
#include "serve/serve_options.hpp"
#include "worker/test_hooks.hpp"

namespace tpbench::serve {
namespace {

// Every rank learns the worst code; the lowest failing rank prints its one line.
int agree(const ExitStatus& status) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  int in[2] = {status.code, status.code != 0 ? -rank : INT_MIN};
  int out[2] = {0, 0};
  MPI_CHECK(MPI_Allreduce(in, out, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
  if (out[0] != 0 && status.code != 0 && -out[1] == rank) {
    std::fprintf(stderr, "tpbench_serve: error: %s\n", status.message.c_str());
    std::fflush(stderr);
  }
  return out[0];
}

// Each connection is a descriptor: take the hard limit (Debian's soft default is 1024).
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t soft = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
    log_warn("tpbench_serve: cannot raise the open-file limit; connections are capped near " +
             std::to_string(soft));
}

EngineOptions engine_options(const ServeOptions& o, Backend backend, int local_rank,
                             int local_size) {
  EngineOptions e = o.run.engine;
  e.backend = backend;
  e.local_rank = local_rank;
  e.local_size = local_size;
  e.greedy_only = false;  // requests choose their own sampling
  return e;
}

int run(int argc, char** argv) {
  int rank = 0, world = 1;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world));
  set_log_prefix("rank " + std::to_string(rank));

  ServeCli cli;
  wire::Topology topology;
  ExitStatus status = exit_status_of([&] {
    cli = parse_serve_command_line(argc, argv, rank == 0);
    if (!cli.exit_now) topology = wire::make_topology(world, cli.options.run.tp, false);
  });
  if (int code = agree(status)) return code;
  if (cli.exit_now) return cli.exit_code;
  const ServeOptions& options = cli.options;
  const int replica = topology.replica_of(rank);
  const bool leader = topology.is_leader(rank);

  // Rank 0: the tokenizer and the port first, so a bad MODEL or a busy port fails in a second.
  boost::asio::io_context ioc(1);
  ServedModel model;
  std::unique_ptr<HttpServer> server;
  if (rank == 0) {
    raise_open_file_limit();
    status = exit_status_of([&] {
      model = load_served_model(options.run.engine.model_dir, options.served_model_name);
      server = std::make_unique<HttpServer>(ioc, options.host, static_cast<uint16_t>(options.port),
                                            model, options.shutdown_grace_s);
    });
  }
  if (int code = agree(status)) return code;
  if (rank != 0) {
    // mpirun and srun also signal the other ranks: they wait for the front end's stop instead.
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
  }

  // The front end's dispatcher listens; its endpoints and key go to the leaders.
  zmq::context_t context;
  wire::CurveKeys keys;
  status = exit_status_of([&] { keys = wire::make_curve_keys(); });
  if (int code = agree(status)) return code;
  const std::vector<std::string> hosts = wire::all_gather_strings(wire::this_host_name(), 256);
  std::map<int, std::string> leader_keys = gather_leader_keys(keys, topology);
  std::unique_ptr<ReplicaDispatcher> dispatcher;
  if (rank == 0) {
    status = exit_status_of([&] {
      const wire::ListenAddress address = wire::listen_address(options.run.coordinator_addr, hosts);
      dispatcher = std::make_unique<ReplicaDispatcher>(
          context, DispatcherConfig{topology, std::move(leader_keys), address.bind_host,
                                    address.advertise_host, options.run.startup_timeout_s});
    });
  }
  if (int code = agree(status)) return code;
  const wire::Endpoints endpoints =
      wire::broadcast_endpoints(dispatcher ? dispatcher->endpoints() : wire::Endpoints{});

  // Engines: one per rank, over its replica's TP communicator.
  const Backend backend = resolve_backend(options.run.engine.backend);
  MPI_Comm replica_comm = MPI_COMM_NULL, node_comm = MPI_COMM_NULL;
  MPI_CHECK(MPI_Comm_split(MPI_COMM_WORLD, replica, rank, &replica_comm));
  MPI_CHECK(
      MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node_comm));
  int local_rank = 0, local_size = 1;
  MPI_CHECK(MPI_Comm_rank(node_comm, &local_rank));
  MPI_CHECK(MPI_Comm_size(node_comm, &local_size));
  std::unique_ptr<Engine> engine;
  status = exit_status_of([&] {
    engine = wrap_with_fault_hooks(
        rank, make_replica_engine(engine_options(options, backend, local_rank, local_size),
                                  MPI_Comm_c2f(replica_comm), MPI_Comm_c2f(node_comm)));
  });
  if (int code = agree(status)) return code;

  // Leaders run their replica loop (rank 0's on a thread of its own); the others follow.
  ReplicaLoopSetup loop_setup{rank, replica, options.run.engine.max_batch_size, endpoints, keys};
  ExitStatus loop_status;
  std::thread leader_thread;
  if (rank == 0) {
    leader_thread =
        std::thread([&] { loop_status = run_replica_loop(context, *engine, loop_setup); });
    status = dispatcher->start_and_wait_ready();
    if (status.code == 0) {
      std::cerr << "tpbench_serve: " << topology.replicas << " replica(s) of TP " << topology.tp
                << std::endl;
      std::cout << "listening on http://" << server->host() << ":" << server->port() << " (model "
                << model.name << ", pid " << ::getpid() << ")" << std::endl;
      status = exit_status_of([&] { server->run(*dispatcher); });
    }
    dispatcher->stop();  // every leader shuts its engine down
    leader_thread.join();
    if (status.code == 0) status = loop_status;
    if (status.code != 0)
      std::fprintf(stderr, "tpbench_serve: error: %s\n", status.message.c_str());
    else
      std::cerr << "tpbench_serve: stopped" << std::endl;
  } else if (leader) {
    status = run_replica_loop(context, *engine, loop_setup);
  } else {
    status = exit_status_of([&] { engine->run_follower(); });
  }
  engine.reset();
  dispatcher.reset();
  MPI_Comm_free(&node_comm);
  MPI_Comm_free(&replica_comm);
  int code = status.code;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &code, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
  return code;
}

}  // namespace
}  // namespace tpbench::serve

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int code = tpbench::serve::run(argc, argv);
  MPI_Finalize();
  return code;
}
