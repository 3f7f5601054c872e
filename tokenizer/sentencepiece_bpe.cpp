#include "tokenizer/sentencepiece_bpe.hpp"

#include <algorithm>
#include <cstdio>

#include "tokenizer/byte_level.hpp"

namespace tpbench::tok {

namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

bool is_trail(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// Length of the well-formed UTF-8 character at the start of `s` (non-empty, first byte
// >= 0x80), by SentencePiece's rules: no overlong forms, surrogates or code points past
// U+10FFFF. 0 when malformed.
size_t valid_utf8_length(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  if ((b[0] & 0xE0) == 0xC0) {
    if (n < 2 || !is_trail(b[1])) return 0;
    const char32_t cp = ((b[0] & 0x1Fu) << 6) | (b[1] & 0x3Fu);
    return cp >= 0x80 ? 2 : 0;
  }
  if ((b[0] & 0xF0) == 0xE0) {
    if (n < 3 || !is_trail(b[1]) || !is_trail(b[2])) return 0;
    const char32_t cp = ((b[0] & 0x0Fu) << 12) | ((b[1] & 0x3Fu) << 6) | (b[2] & 0x3Fu);
    return cp >= 0x800 && (cp < 0xD800 || cp >= 0xE000) ? 3 : 0;
  }
  if ((b[0] & 0xF8) == 0xF0) {
    if (n < 4 || !is_trail(b[1]) || !is_trail(b[2]) || !is_trail(b[3])) return 0;
    const char32_t cp =
        ((b[0] & 0x07u) << 18) | ((b[1] & 0x3Fu) << 12) | ((b[2] & 0x3Fu) << 6) | (b[3] & 0x3Fu);
    return cp >= 0x10000 && cp <= 0x10FFFF ? 4 : 0;
  }
  return 0;
}

bool is_one_char(std::string_view s) {
  return !s.empty() && utf8_length(static_cast<unsigned char>(s[0])) == s.size();
}

std::string byte_piece(int b) {
  char name[8];
  std::snprintf(name, sizeof(name), "<0x%02X>", b);
  return name;
}

// Why the pieces cannot run on CharBpe; empty when they can.
std::string unsupported_piece(const std::vector<SentencePieceEntry>& pieces,
                              const StringIdMap& normal, const SentencePieceModelSpec& spec,
                              int32_t unk_id) {
  if (unk_id < 0 || static_cast<size_t>(unk_id) >= pieces.size()) return "no unknown piece";
  for (size_t id = 0; id < pieces.size(); ++id) {
    const SentencePieceEntry& p = pieces[id];
    switch (p.type) {
      case SentencePieceType::kUserDefined:
        return "user-defined piece '" + p.text + "'";
      case SentencePieceType::kUnused:
        return "unused piece '" + p.text + "'";
      case SentencePieceType::kNormal:
        // SentencePiece merges by text: a piece made of a character that is no piece
        // could still be reached from an unknown character, which CharBpe cannot do.
        for (size_t i = 0; i < p.text.size();) {
          const size_t len = utf8_length(static_cast<unsigned char>(p.text[i]));
          if (!normal.contains(std::string_view(p.text).substr(i, len)))
            return "piece '" + p.text + "' holds a character that is no piece";
          i += len;
        }
        break;
      default:  // unknown, control, byte: never merged; as one character they would be found
        if (is_one_char(p.text)) return "reserved piece '" + p.text + "' is one character";
        break;
    }
  }
  if (spec.byte_fallback) {
    StringIdMap bytes;
    for (size_t id = 0; id < pieces.size(); ++id)
      if (pieces[id].type == SentencePieceType::kByte) bytes.emplace(pieces[id].text, id);
    for (int b = 0; b < 256; ++b)
      if (!bytes.contains(byte_piece(b))) return "byte_fallback without piece " + byte_piece(b);
  }
  return {};
}

}  // namespace

std::unique_ptr<SentencePieceBpe> SentencePieceBpe::build(
    const std::vector<SentencePieceEntry>& pieces, const SentencePieceModelSpec& spec,
    int32_t unk_id, std::string& why_not) {
  if (spec.model_type != SentencePieceModelType::kBpe) {
    why_not = "model type " + std::to_string(static_cast<int>(spec.model_type)) + " is not BPE";
    return nullptr;
  }
  if (spec.treat_whitespace_as_suffix) {
    why_not = "treat_whitespace_as_suffix";
    return nullptr;
  }
  if (spec.has_precompiled_charsmap) {
    why_not = "normalizer has a precompiled charsmap";
    return nullptr;
  }
  StringIdMap all, normal;
  all.reserve(pieces.size());
  normal.reserve(pieces.size());
  for (size_t id = 0; id < pieces.size(); ++id) {
    const auto i = static_cast<int32_t>(id);
    if (!all.emplace(pieces[id].text, i).second) {
      why_not = "duplicate piece '" + pieces[id].text + "'";
      return nullptr;
    }
    if (pieces[id].type == SentencePieceType::kNormal) normal.emplace(pieces[id].text, i);
  }
  why_not = unsupported_piece(pieces, normal, spec, unk_id);
  if (!why_not.empty()) return nullptr;

  // Rank of a merge = rank of the merged piece's score, highest first; equal scores share
  // a rank so that, as in SentencePiece, position alone breaks their ties.
  std::vector<float> scores;
  for (const SentencePieceEntry& p : pieces)
    if (p.type == SentencePieceType::kNormal) scores.push_back(p.score);
  std::sort(scores.begin(), scores.end(), std::greater<>());
  scores.erase(std::unique(scores.begin(), scores.end()), scores.end());
  auto rank_of = [&](float score) {
    return static_cast<int32_t>(
        std::lower_bound(scores.begin(), scores.end(), score, std::greater<>()) - scores.begin());
  };

  CharBpeOptions options;
  options.unk_id = unk_id;
  options.byte_fallback = spec.byte_fallback;
  options.fuse_unk = !spec.byte_fallback;  // SentencePiece fuses runs of unknown pieces
  auto bpe = std::make_unique<CharBpe>(std::move(all), options);
  bpe->reserve_pairs(pieces.size() * 4);
  for (const auto& [text, merged] : normal) {
    const std::string_view piece = text;
    const int32_t rank = rank_of(pieces[static_cast<size_t>(merged)].score);
    for (size_t cut = utf8_length(static_cast<unsigned char>(piece[0])); cut < piece.size();
         cut += utf8_length(static_cast<unsigned char>(piece[cut]))) {
      const int32_t left = find_id(normal, piece.substr(0, cut));
      const int32_t right = find_id(normal, piece.substr(cut));
      if (left >= 0 && right >= 0) bpe->add_merge(left, right, merged, rank);
    }
  }
  return std::unique_ptr<SentencePieceBpe>(new SentencePieceBpe(std::move(bpe), spec));
}

SentencePieceBpe::SentencePieceBpe(std::unique_ptr<CharBpe> bpe, const SentencePieceModelSpec& spec)
    : bpe_(std::move(bpe)),
      add_dummy_prefix_(spec.add_dummy_prefix),
      remove_extra_whitespaces_(spec.remove_extra_whitespaces),
      space_(spec.escape_whitespaces ? kMetaspace : std::string_view(" ")) {}

void SentencePieceBpe::normalize(std::string_view text, std::string& out) const {
  out.clear();
  size_t i = 0;
  if (remove_extra_whitespaces_)
    while (i < text.size() && text[i] == ' ') ++i;
  if (i == text.size()) return;
  out.reserve(text.size() + text.size() / 2 + space_.size());
  if (add_dummy_prefix_) out.append(space_);
  bool prev_space = remove_extra_whitespaces_;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ') {
      if (!prev_space) out.append(space_);
      prev_space = remove_extra_whitespaces_;
      ++i;
    } else if (c < 0x80) {
      size_t end = i + 1;
      while (end < text.size() && text[end] != ' ' && static_cast<unsigned char>(text[end]) < 0x80)
        ++end;
      out.append(text, i, end - i);
      prev_space = false;
      i = end;
    } else {
      const size_t len = valid_utf8_length(text.substr(i));
      if (len == 0) {
        out.append(kReplacementChar);  // one per malformed byte, as SentencePiece does
        ++i;
      } else {
        out.append(text, i, len);
        i += len;
      }
      prev_space = false;
    }
  }
  if (remove_extra_whitespaces_)
    while (out.size() >= space_.size() && std::string_view(out).ends_with(space_))
      out.resize(out.size() - space_.size());
}

void SentencePieceBpe::encode(std::string_view text, uint64_t serial,
                              std::vector<int32_t>& ids) const {
  thread_local std::string normalized;
  normalize(text, normalized);
  if (!normalized.empty()) bpe_->encode_word(normalized, serial, ids);
}

}  // namespace tpbench::tok
