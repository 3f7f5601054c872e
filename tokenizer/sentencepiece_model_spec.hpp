#pragma once
// The few ModelProto fields that decide how a SentencePiece model encodes, read straight from
// the serialized protobuf (libsentencepiece's headers do not ship sentencepiece_model.pb.h).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tpbench::tok {

enum class SentencePieceModelType { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

// ModelProto.SentencePiece.Type
enum class SentencePieceType {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6
};

struct SentencePieceModelSpec {
  // trainer_spec
  SentencePieceModelType model_type = SentencePieceModelType::kUnigram;
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  // normalizer_spec (proto defaults)
  bool has_precompiled_charsmap = false;  // a non-identity normalization rule
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
  std::vector<SentencePieceType> piece_types;  // by id
};

// nullopt when `serialized` is not a well-formed ModelProto.
std::optional<SentencePieceModelSpec> parse_sentencepiece_model_spec(std::string_view serialized);

}  // namespace tpbench::tok
