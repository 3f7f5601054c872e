#include "common/wire/codec.hpp"

#include <cstring>
#include <string_view>

namespace tpbench::wire {
namespace {

int64_t as_i64(const msgpack::object& o) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) return static_cast<int64_t>(o.via.u64);
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  throw WireError("malformed record batch: expected an integer");
}

std::string_view key_of(const msgpack::object& k) {
  if (k.type != msgpack::type::STR) throw WireError("malformed record batch: map key not a string");
  return {k.via.str.ptr, k.via.str.size};
}

const msgpack::object_map& as_map(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::MAP)
    throw WireError(std::string("malformed record batch: ") + what + " is not a map");
  return o.via.map;
}

const msgpack::object_array& as_array(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::ARRAY)
    throw WireError(std::string("malformed record batch: ") + what + " is not an array");
  return o.via.array;
}

template <typename Int>
void read_int_array(const msgpack::object& o, std::vector<Int>& out, const char* what) {
  const auto& a = as_array(o, what);
  out.resize(a.size);
  for (uint32_t i = 0; i < a.size; ++i) out[i] = static_cast<Int>(as_i64(a.ptr[i]));
}

void read_record(const msgpack::object& o, RequestRecord& r) {
  const auto& m = as_map(o, "record");
  for (uint32_t i = 0; i < m.size; ++i) {
    std::string_view k = key_of(m.ptr[i].key);
    const msgpack::object& v = m.ptr[i].val;
    if (k == "id")
      r.id = static_cast<uint64_t>(as_i64(v));
    else if (k == "replica")
      r.replica = static_cast<int32_t>(as_i64(v));
    else if (k == "prompt_tokens")
      r.prompt_tokens = static_cast<int32_t>(as_i64(v));
    else if (k == "output_tokens")
      r.output_tokens = static_cast<int32_t>(as_i64(v));
    else if (k == "scheduled_ns")
      r.scheduled_ns = as_i64(v);
    else if (k == "queue_ns")
      r.queue_ns = as_i64(v);
    else if (k == "submit_ns")
      r.submit_ns = as_i64(v);
    else if (k == "first_token_ns")
      r.first_token_ns = as_i64(v);
    else if (k == "finish_ns")
      r.finish_ns = as_i64(v);
    else if (k == "client_output_tokens")
      r.client_output_tokens = static_cast<int32_t>(as_i64(v));
    else if (k == "requested_output_tokens")
      r.requested_output_tokens = static_cast<int32_t>(as_i64(v));
    else if (k == "token_ns")
      read_int_array(v, r.token_ns, "token_ns");
    else if (k == "token_ids")
      read_int_array(v, r.token_ids, "token_ids");
    else if (k == "ok") {
      if (v.type != msgpack::type::BOOLEAN)
        throw WireError("malformed record batch: ok is not a bool");
      r.ok = v.via.boolean;
    } else if (k == "error") {
      if (v.type != msgpack::type::STR)
        throw WireError("malformed record batch: error is not a string");
      r.error.assign(v.via.str.ptr, v.via.str.size);
    }
    // unknown keys: ignored, as MSGPACK_DEFINE_MAP does
  }
}

}  // namespace

Header decode_header(const void* data, size_t size) {
  Header h;
  try {
    msgpack::object_handle handle = msgpack::unpack(static_cast<const char*>(data), size);
    const msgpack::object& o = handle.get();
    if (o.type != msgpack::type::MAP) throw WireError("message header is not a msgpack map");
    // Read only the version first: a peer of another version may have other header fields.
    bool have_version = false;
    for (uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      if (kv.key.type == msgpack::type::STR && key_of(kv.key) == "version") {
        h.version = static_cast<uint32_t>(as_i64(kv.val));
        have_version = true;
      }
    }
    if (!have_version) throw WireError("message header has no protocol version");
    if (h.version == kProtocolVersion) h = o.as<Header>();
  } catch (const WireError&) {
    throw;
  } catch (const std::exception& e) {
    throw WireError(std::string("malformed message header: ") + e.what());
  }
  return h;
}

void decode_record_batch(const void* data, size_t size, RecordBatchMsg& out) {
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(static_cast<const char*>(data), size);
  } catch (const std::exception& e) {
    throw WireError(std::string("malformed record batch: ") + e.what());
  }
  const auto& m = as_map(handle.get(), "batch");
  out.records.clear();
  for (uint32_t i = 0; i < m.size; ++i) {
    std::string_view k = key_of(m.ptr[i].key);
    const msgpack::object& v = m.ptr[i].val;
    if (k == "replica")
      out.replica = static_cast<int32_t>(as_i64(v));
    else if (k == "seq")
      out.seq = static_cast<uint64_t>(as_i64(v));
    else if (k == "records") {
      const auto& a = as_array(v, "records");
      out.records.resize(a.size);
      for (uint32_t j = 0; j < a.size; ++j) read_record(a.ptr[j], out.records[j]);
    }
  }
}

const char* kind_name(MsgKind kind) {
  switch (kind) {
    case MsgKind::kHello:
      return "hello";
    case MsgKind::kHeartbeat:
      return "heartbeat";
    case MsgKind::kBye:
      return "bye";
    case MsgKind::kReady:
      return "ready";
    case MsgKind::kError:
      return "error";
    case MsgKind::kGo:
      return "go";
    case MsgKind::kAbort:
      return "abort";
    case MsgKind::kWorkRequest:
      return "work-request";
    case MsgKind::kWork:
      return "work";
    case MsgKind::kDone:
      return "done";
    case MsgKind::kRecordBatch:
      return "record-batch";
    case MsgKind::kStop:
      return "stop";
    case MsgKind::kServeRequests:
      return "serve-requests";
    case MsgKind::kServeCancel:
      return "serve-cancel";
    case MsgKind::kServeEvents:
      return "serve-events";
  }
  return "unknown";
}

}  // namespace tpbench::wire
