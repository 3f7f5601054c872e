#pragma once
// msgpack encoding of wire frames. Decoding failures throw WireError with a one-line reason.
#include <msgpack.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "common/wire/messages.hpp"
#include "common/wire/protocol.hpp"

namespace tpbench::wire {

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename T>
void pack_into(msgpack::sbuffer& buf, const T& value) {
  msgpack::pack(buf, value);
}

Header decode_header(const void* data, size_t size);

template <typename T>
T decode_payload(const void* data, size_t size) {
  try {
    msgpack::object_handle handle = msgpack::unpack(static_cast<const char*>(data), size);
    return handle.get().as<T>();
  } catch (const std::exception& e) {
    throw WireError(std::string("malformed message payload: ") + e.what());
  }
}

// The collector's hot path: same result as decode_payload<RecordBatchMsg>, several times faster
// (walks the msgpack tree once instead of building a key map per record).
void decode_record_batch(const void* data, size_t size, RecordBatchMsg& out);

}  // namespace tpbench::wire
