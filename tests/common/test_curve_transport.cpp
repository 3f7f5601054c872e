// The coordinator's sockets admit only the CURVE keys the run's ranks announced over MPI:
// a stranger (plain socket, or CURVE with a key of its own) can neither inject nor read.
#include <gtest/gtest.h>

#include <memory>

#include "common/wire/transport.hpp"

namespace tpbench::wire {
namespace {

RecordBatchMsg batch_with_id(uint64_t id) {
  RecordBatchMsg b;
  b.replica = 0;
  RequestRecord r;
  r.id = id;
  b.records.push_back(r);
  return b;
}

bool wait_readable(zmq::socket_t& s, int ms) {
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  return zmq::poll(&item, 1, std::chrono::milliseconds(ms)) > 0;
}

TEST(CurveTransport, StrangersCannotInjectOrRead) {
  zmq::context_t server_ctx, client_ctx;
  CurveKeys server = make_curve_keys(), member = make_curve_keys(), stranger = make_curve_keys();
  ZapAuthenticator zap(server_ctx, {{member.public_z85, "rank 1"}});
  zmq::socket_t pull(server_ctx, zmq::socket_type::pull),
      router(server_ctx, zmq::socket_type::router);
  for (zmq::socket_t* s : {&pull, &router}) {
    s->set(zmq::sockopt::linger, 0);
    configure_curve_server(*s, server);
    s->bind("tcp://127.0.0.1:*");
  }
  router.set(zmq::sockopt::router_mandatory, 1);
  std::string records_ep = pull.get(zmq::sockopt::last_endpoint);
  std::string control_ep = router.get(zmq::sockopt::last_endpoint);

  // Strangers connect first and try to push and to say hello.
  zmq::socket_t plain_push(client_ctx, zmq::socket_type::push);
  zmq::socket_t wrong_push(client_ctx, zmq::socket_type::push);
  zmq::socket_t wrong_dealer(client_ctx, zmq::socket_type::dealer);
  for (zmq::socket_t* s : {&plain_push, &wrong_push, &wrong_dealer})
    s->set(zmq::sockopt::linger, 0);
  configure_curve_client(wrong_push, stranger, server.public_z85);
  configure_curve_client(wrong_dealer, stranger, server.public_z85);
  wrong_dealer.set(zmq::sockopt::routing_id, "p9");
  plain_push.connect(records_ep);
  wrong_push.connect(records_ep);
  wrong_dealer.connect(control_ep);
  send_message(plain_push, MsgKind::kRecordBatch, 1, batch_with_id(666));
  send_message(wrong_push, MsgKind::kRecordBatch, 1, batch_with_id(667));
  send_message(wrong_dealer, MsgKind::kHello, 1,
               HelloMsg{kProtocolVersion, 1, 0, "leader", "x", 1});

  // The member gets through, labelled with the identity its key was announced under.
  zmq::socket_t good_push(client_ctx, zmq::socket_type::push),
      good_dealer(client_ctx, zmq::socket_type::dealer);
  for (zmq::socket_t* s : {&good_push, &good_dealer}) {
    s->set(zmq::sockopt::linger, 0);
    configure_curve_client(*s, member, server.public_z85);
  }
  good_dealer.set(zmq::sockopt::routing_id, "p1");
  good_push.connect(records_ep);
  good_dealer.connect(control_ep);
  send_message(good_push, MsgKind::kRecordBatch, 1, batch_with_id(1));
  send_message(good_dealer, MsgKind::kHello, 1, HelloMsg{kProtocolVersion, 1, 0, "leader", "x", 1});

  ASSERT_TRUE(wait_readable(pull, 5000));
  Received got;
  ASSERT_TRUE(receive_message(pull, false, got));
  EXPECT_EQ(got.user_id, "rank 1");
  RecordBatchMsg b;
  decode_record_batch(got.payload.data(), got.payload.size(), b);
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_EQ(b.records[0].id, 1u);

  ASSERT_TRUE(wait_readable(router, 5000));
  ASSERT_TRUE(receive_message(router, true, got));
  EXPECT_EQ(got.routing_id, "p1");
  EXPECT_EQ(got.user_id, "rank 1");

  // Nothing from the strangers arrives, and the coordinator cannot even address them.
  EXPECT_FALSE(wait_readable(pull, 500));
  EXPECT_FALSE(wait_readable(router, 100));
  std::string stranger_id = "p9";
  EXPECT_THROW(
      send_message(router, MsgKind::kAbort, -1, AbortMsg{"x"}, kProtocolVersion, &stranger_id),
      zmq::error_t);
  std::string member_id = "p1";
  EXPECT_NO_THROW(
      send_message(router, MsgKind::kAbort, -1, AbortMsg{"bye"}, kProtocolVersion, &member_id));
  ASSERT_TRUE(wait_readable(good_dealer, 5000));
  EXPECT_FALSE(wait_readable(wrong_dealer, 200));
  EXPECT_GE(zap.rejected(), 2u);  // the two CURVE strangers; the plain one fails before ZAP
}

// A closed connection shows up on the router's monitor with the descriptor its messages came in
// on, which is how the coordinator names the rank that died.
TEST(MonitorEvents, DisconnectNamesTheConnectionOfTheMessages) {
  zmq::context_t ctx;
  zmq::socket_t router(ctx, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind("tcp://127.0.0.1:*");
  ASSERT_EQ(zmq_socket_monitor(router.handle(), "inproc://test-monitor", ZMQ_EVENT_DISCONNECTED),
            0);
  zmq::socket_t monitor(ctx, zmq::socket_type::pair);
  monitor.connect("inproc://test-monitor");
  MonitorEvent event;
  EXPECT_FALSE(receive_monitor_event(monitor, event));  // nothing yet

  auto dealer = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::dealer);
  dealer->set(zmq::sockopt::linger, 0);
  dealer->connect(router.get(zmq::sockopt::last_endpoint));
  send_message(*dealer, MsgKind::kHello, 1, HelloMsg{kProtocolVersion, 1, 0, "leader", "x", 1});
  ASSERT_TRUE(wait_readable(router, 5000));
  Received got;
  ASSERT_TRUE(receive_message(router, true, got));
  ASSERT_GE(got.source_fd, 0);
  dealer.reset();

  ASSERT_TRUE(wait_readable(monitor, 5000));
  ASSERT_TRUE(receive_monitor_event(monitor, event));
  EXPECT_EQ(event.event, ZMQ_EVENT_DISCONNECTED);
  EXPECT_EQ(event.fd, got.source_fd);
  EXPECT_FALSE(receive_monitor_event(monitor, event));
}

}  // namespace
}  // namespace tpbench::wire
