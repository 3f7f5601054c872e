#include "tokenizer/sentencepiece_model_spec.hpp"

namespace tpbench::tok {

namespace {

// Protobuf wire format: a field is a varint key (number << 3 | wire type) and its value.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  bool done() const { return pos_ >= bytes_.size(); }

  bool varint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) return false;
      const auto byte = static_cast<uint8_t>(bytes_[pos_++]);
      value |= uint64_t{byte & 0x7Fu} << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;
  }

  bool key(uint32_t& field, uint32_t& wire_type) {
    uint64_t k = 0;
    if (!varint(k)) return false;
    field = static_cast<uint32_t>(k >> 3);
    wire_type = static_cast<uint32_t>(k & 7);
    return true;
  }

  bool bytes(std::string_view& out) {
    uint64_t len = 0;
    if (!varint(len) || len > bytes_.size() - pos_) return false;
    out = bytes_.substr(pos_, len);
    pos_ += len;
    return true;
  }

  // Skips a value of a field this reader does not need; false on groups or truncation.
  bool skip(uint32_t wire_type) {
    uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case 0:
        return varint(ignored);
      case 1:
        return advance(8);
      case 2:
        return bytes(ignored_bytes);
      case 5:
        return advance(4);
      default:
        return false;
    }
  }

 private:
  bool advance(size_t n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
};

// Calls on_field(field, wire_type, reader) for each field; it returns false to have the
// value skipped. False when the message is malformed.
template <typename OnField>
bool for_each_field(std::string_view message, OnField&& on_field) {
  WireReader reader(message);
  while (!reader.done()) {
    uint32_t field = 0, wire_type = 0;
    if (!reader.key(field, wire_type)) return false;
    bool ok = true;
    if (!on_field(field, wire_type, reader, ok) && !reader.skip(wire_type)) return false;
    if (!ok) return false;
  }
  return true;
}

bool read_bool(WireReader& reader, bool& out) {
  uint64_t v = 0;
  if (!reader.varint(v)) return false;
  out = v != 0;
  return true;
}

bool parse_piece(std::string_view message, SentencePieceType& type) {
  type = SentencePieceType::kNormal;
  return for_each_field(message, [&](uint32_t field, uint32_t wire, WireReader& r, bool& ok) {
    if (field != 3 || wire != 0) return false;
    uint64_t v = 0;
    ok = r.varint(v) && v >= 1 && v <= 6;
    type = static_cast<SentencePieceType>(v);
    return true;
  });
}

bool parse_trainer_spec(std::string_view message, SentencePieceModelSpec& spec) {
  return for_each_field(message, [&](uint32_t field, uint32_t wire, WireReader& r, bool& ok) {
    if (wire != 0) return false;
    uint64_t v = 0;
    switch (field) {
      case 3:
        ok = r.varint(v);
        spec.model_type = static_cast<SentencePieceModelType>(v);
        return true;
      case 24:
        ok = read_bool(r, spec.treat_whitespace_as_suffix);
        return true;
      case 35:
        ok = read_bool(r, spec.byte_fallback);
        return true;
      default:
        return false;
    }
  });
}

bool parse_normalizer_spec(std::string_view message, SentencePieceModelSpec& spec) {
  return for_each_field(message, [&](uint32_t field, uint32_t wire, WireReader& r, bool& ok) {
    if (field == 2 && wire == 2) {
      std::string_view charsmap;
      ok = r.bytes(charsmap);
      spec.has_precompiled_charsmap = !charsmap.empty();
      return true;
    }
    if (wire != 0) return false;
    switch (field) {
      case 3:
        ok = read_bool(r, spec.add_dummy_prefix);
        return true;
      case 4:
        ok = read_bool(r, spec.remove_extra_whitespaces);
        return true;
      case 5:
        ok = read_bool(r, spec.escape_whitespaces);
        return true;
      default:
        return false;
    }
  });
}

}  // namespace

std::optional<SentencePieceModelSpec> parse_sentencepiece_model_spec(std::string_view serialized) {
  SentencePieceModelSpec spec;
  const bool ok =
      for_each_field(serialized, [&](uint32_t field, uint32_t wire, WireReader& r, bool& ok) {
        if (wire != 2 || field < 1 || field > 3) return false;
        std::string_view message;
        if (!r.bytes(message)) {
          ok = false;
          return true;
        }
        if (field == 1) {
          SentencePieceType type{};
          ok = parse_piece(message, type);
          spec.piece_types.push_back(type);
        } else if (field == 2) {
          ok = parse_trainer_spec(message, spec);
        } else {
          ok = parse_normalizer_spec(message, spec);
        }
        return true;
      });
  if (!ok) return std::nullopt;
  return spec;
}

}  // namespace tpbench::tok
