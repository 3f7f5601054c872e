// ReplicaDispatcher in-process, over its real ROUTER socket: leaders that never connect end the
// start-up after --startup-timeout with one line naming them and the address.
#include <gtest/gtest.h>

#include <string>

#include "common/clock.hpp"
#include "common/wire/topology.hpp"
#include "serve/replica_dispatcher.hpp"

namespace tpbench::serve {
namespace {

TEST(ReplicaDispatcher, LeadersThatNeverConnectEndTheStartUpNamingThem) {
  zmq::context_t context;
  const wire::Topology topology = wire::make_topology(4, 2, false);  // replicas at ranks 0, 2
  const wire::CurveKeys leader0 = wire::make_curve_keys(), leader2 = wire::make_curve_keys();
  ReplicaDispatcher dispatcher(context,
                               DispatcherConfig{topology,
                                                {{0, leader0.public_z85}, {2, leader2.public_z85}},
                                                "127.0.0.1",
                                                "127.0.0.1",
                                                0.3});
  const ExitStatus status = dispatcher.start_and_wait_ready();
  EXPECT_EQ(status.code, kExitRunFailed);
  EXPECT_EQ(status.message,
            "replica 0 (rank 0), replica 1 (rank 2) never reported ready to the "
            "front end at " +
                dispatcher.endpoints().control + " (--startup-timeout 0.3 s)");
  // Nothing is served: a submission fails at once with the reason.
  std::string reason;
  dispatcher.submit(
      EngineRequest{}, [](uint64_t, int32_t, bool, int64_t) {},
      [&](uint64_t, bool ok, const std::string& why) {
        EXPECT_FALSE(ok);
        reason = why;
      });
  EXPECT_EQ(reason, "no replica is serving");
  const int64_t stop_began = steady_now_ns();
  dispatcher.stop();
  EXPECT_LT(steady_now_ns() - stop_began, 5'000'000'000) << "stop() waited for absent leaders";
}

}  // namespace
}  // namespace tpbench::serve
