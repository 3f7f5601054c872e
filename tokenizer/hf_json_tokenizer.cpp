// A HF tokenizer.json with a BPE model, run as HF tokenizers runs it: added tokens are cut
// out of the raw text, each remaining stretch is normalized and pre-tokenized into pieces,
// each piece goes through the BPE model, and the post-processor's special ids go around.
#include <deque>

#include "common/error.hpp"
#include "tokenizer/byte_bpe.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/char_bpe.hpp"
#include "tokenizer/hf_json_config.hpp"
#include "tokenizer/hf_json_decode.hpp"
#include "tokenizer/piece_cache.hpp"
#include "tokenizer/tokenizers_internal.hpp"

namespace tpbench::tok {

namespace {

// Pieces of one text stretch: views into the stretch itself or into strings made for them.
struct Pieces {
  std::vector<std::string_view> views;
  std::deque<std::string> made;
  std::string_view make(std::string s) { return made.emplace_back(std::move(s)); }
};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  size_t start = 0;
  for (size_t pos; (pos = s.find(from, start)) != std::string::npos; start = pos + from.size()) {
    out.append(s, start, pos - start);
    out.append(to);
  }
  out.append(s, start);
  s = std::move(out);
}

bool is_ascii_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// Cuts `piece` around the regex matches the way HF's SplitDelimiterBehavior says.
void split_piece(std::string_view piece, const HfPreTokenizer& step,
                 std::vector<std::string_view>& out) {
  thread_local std::vector<std::pair<size_t, size_t>> ranges;
  ranges.clear();
  step.regex->for_each_match(piece, [&](size_t b, size_t e) {
    if (step.behavior == SplitBehavior::kContiguous && !ranges.empty() && ranges.back().second == b)
      ranges.back().second = e;
    else
      ranges.emplace_back(b, e);
  });
  if (step.invert) {
    std::vector<std::pair<size_t, size_t>> gaps;
    size_t at = 0;
    for (auto [b, e] : ranges) {
      if (b > at) gaps.emplace_back(at, b);
      at = e;
    }
    if (at < piece.size()) gaps.emplace_back(at, piece.size());
    ranges = std::move(gaps);
  }
  auto emit = [&](size_t b, size_t e) {
    if (e > b) out.push_back(piece.substr(b, e - b));
  };
  size_t at = 0;
  switch (step.behavior) {
    case SplitBehavior::kIsolated:
    case SplitBehavior::kContiguous:
      for (auto [b, e] : ranges) {
        emit(at, b);
        emit(b, e);
        at = e;
      }
      emit(at, piece.size());
      break;
    case SplitBehavior::kRemoved:
      for (auto [b, e] : ranges) {
        emit(at, b);
        at = e;
      }
      emit(at, piece.size());
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (auto [b, e] : ranges) {
        emit(at, e);
        at = e;
      }
      emit(at, piece.size());
      break;
    case SplitBehavior::kMergedWithNext:
      for (auto [b, e] : ranges) {
        emit(at, b);
        at = b;
      }
      emit(at, piece.size());
      break;
  }
}

class HfJsonTokenizer final : public Tokenizer {
 public:
  explicit HfJsonTokenizer(HfTokenizerConfig config)
      : config_(std::move(config)), serial_(PieceCache::next_serial()) {
    build_model();
    for (const HfAddedToken& added : config_.added_tokens) {
      specials_.add(added.token);
      text_of(added.token.id) = added.token.content;
      if (added.special) special_of(added.token.id) = true;
    }
    resolve_special_ids();
    decoder_ = std::make_unique<HfDecoderChain>(config_.decoders, config_.decoder_missing);
  }

  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override {
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    if (add_bos) ids.insert(ids.end(), prefix_.begin(), prefix_.end());
    specials_.split(
        text,
        [&](std::string_view segment) {
          encode_segment(segment, segment.data() == text.data(), ids);
        },
        [&](int32_t id) { ids.push_back(id); });
    if (add_bos) ids.insert(ids.end(), suffix_.begin(), suffix_.end());
    return ids;
  }

  std::string decode(std::span<const int32_t> ids) const override {
    std::vector<std::string_view> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
      if (id < 0 || id >= vocab_size())
        throw InputError("decode: token id " + std::to_string(id) + " out of range");
      if (!is_special_[id]) tokens.push_back(id_text_[id]);
    }
    return decoder_->decode(tokens);
  }

  int32_t bos_id() const override { return bos_; }
  int32_t eos_id() const override { return eos_; }
  int32_t vocab_size() const override { return static_cast<int32_t>(id_text_.size()); }
  std::string kind() const override {
    return config_.byte_level ? "hf-bpe-bytelevel" : "hf-bpe-sentencepiece";
  }

 private:
  std::string& text_of(int32_t id) {
    if (id < 0) throw InputError(config_.origin + ": negative token id " + std::to_string(id));
    if (static_cast<size_t>(id) >= id_text_.size()) {
      id_text_.resize(static_cast<size_t>(id) + 1);
      is_special_.resize(static_cast<size_t>(id) + 1, false);
    }
    return id_text_[static_cast<size_t>(id)];
  }
  std::vector<bool>::reference special_of(int32_t id) {
    text_of(id);
    return is_special_[static_cast<size_t>(id)];
  }

  void build_model() {
    HfBpeModel& model = config_.model;
    StringIdMap spelled;  // vocabulary as tokenizer.json spells it
    spelled.reserve(model.vocab.size());
    for (auto& [text, id] : model.vocab) {
      text_of(id) = text;
      spelled.emplace(text, id);
    }
    auto id_of = [&](const std::string& text, size_t rank, const char* what) {
      const int32_t id = find_id(spelled, text);
      if (id < 0)
        throw InputError(config_.origin + ": model.merges[" + std::to_string(rank) + "]: " + what +
                         " '" + text + "' is not in the vocab");
      return id;
    };
    auto add_merges = [&](auto& bpe) {
      bpe.reserve_pairs(model.merges.size());
      for (size_t rank = 0; rank < model.merges.size(); ++rank) {
        const auto& [left, right] = model.merges[rank];
        const int32_t left_id = id_of(left, rank, "left");
        const int32_t right_id = id_of(right, rank, "right");
        const int32_t merged_id = id_of(left + right, rank, "merged token");
        bpe.add_merge(left_id, right_id, merged_id, static_cast<int32_t>(rank));
      }
    };
    if (config_.byte_level) {
      byte_bpe_ = std::make_unique<ByteBpe>();
      for (const auto& [text, id] : model.vocab)
        if (auto bytes = byte_level_to_bytes(text)) byte_bpe_->add_token(std::move(*bytes), id);
      byte_bpe_->set_whole_piece_shortcut(model.ignore_merges);
      add_merges(*byte_bpe_);
    } else {
      CharBpeOptions options;
      options.unk_id = model.unk_token ? find_id(spelled, *model.unk_token) : -1;
      options.fuse_unk = model.fuse_unk;
      options.byte_fallback = model.byte_fallback;
      options.ignore_merges = model.ignore_merges;
      char_bpe_ = std::make_unique<CharBpe>(spelled, options);
      add_merges(*char_bpe_);
    }
    model.vocab.clear();
    model.merges.clear();
  }

  int32_t token_id(const std::string& text) const {
    for (const HfAddedToken& added : config_.added_tokens)
      if (added.token.content == text) return added.token.id;
    for (size_t id = 0; id < id_text_.size(); ++id)
      if (id_text_[id] == text) return static_cast<int32_t>(id);
    return -1;
  }

  void resolve_special_ids() {
    prefix_ = config_.prefix_ids;
    suffix_ = config_.suffix_ids;
    const int32_t config_bos = config_.bos_token ? token_id(*config_.bos_token) : -1;
    const int32_t config_eos = config_.eos_token ? token_id(*config_.eos_token) : -1;
    if (config_.add_bos_token)
      prefix_ = *config_.add_bos_token && config_bos >= 0 ? std::vector<int32_t>{config_bos}
                                                          : std::vector<int32_t>{};
    if (config_.add_eos_token)
      suffix_ = *config_.add_eos_token && config_eos >= 0 ? std::vector<int32_t>{config_eos}
                                                          : std::vector<int32_t>{};
    for (const auto* ids : {&prefix_, &suffix_})
      for (int32_t id : *ids)
        if (id < 0 || id >= vocab_size())
          throw InputError(config_.origin + ": post_processor: special id " + std::to_string(id) +
                           " is not in the vocab");
    bos_ = !prefix_.empty() ? prefix_.front() : config_bos;
    eos_ = config_eos;
    for (const char* name : {"</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"})
      if (eos_ < 0) eos_ = token_id(name);
  }

  void encode_segment(std::string_view segment, bool at_text_start,
                      std::vector<int32_t>& ids) const {
    std::string normalized;
    if (!config_.normalizers.empty()) {
      normalized.assign(segment);
      normalize(normalized);
      segment = normalized;
    }
    thread_local Pieces pieces;
    pieces.views.assign(1, segment);
    pieces.made.clear();
    for (const HfPreTokenizer& step : config_.pre_tokenizers)
      pre_tokenize(step, at_text_start, pieces);
    for (std::string_view piece : pieces.views) {
      if (byte_bpe_)
        byte_bpe_->encode_piece(piece, serial_, ids);
      else
        char_bpe_->encode_word(piece, serial_, ids);
    }
  }

  void normalize(std::string& s) const {
    for (const HfNormalizer& step : config_.normalizers) {
      switch (step.kind) {
        case HfNormalizer::Kind::kPrepend:
          if (!s.empty()) s.insert(0, step.text);
          break;
        case HfNormalizer::Kind::kReplace:
          if (step.regex) {
            std::string out;
            size_t at = 0;
            step.regex->for_each_match(s, [&](size_t b, size_t e) {
              out.append(s, at, b - at);
              out.append(step.text);
              at = e;
            });
            out.append(s, at);
            s = std::move(out);
          } else {
            replace_all(s, step.literal, step.text);
          }
          break;
        case HfNormalizer::Kind::kStrip: {
          size_t b = 0, e = s.size();
          if (step.left)
            while (b < e && is_ascii_space(s[b])) ++b;
          if (step.right)
            while (e > b && is_ascii_space(s[e - 1])) --e;
          s = s.substr(b, e - b);
          break;
        }
      }
    }
  }

  static void pre_tokenize(const HfPreTokenizer& step, bool at_text_start, Pieces& pieces) {
    thread_local std::vector<std::string_view> next;
    next.clear();
    switch (step.kind) {
      case HfPreTokenizer::Kind::kSplit:
        for (std::string_view piece : pieces.views) split_piece(piece, step, next);
        break;
      case HfPreTokenizer::Kind::kByteLevel:
        for (std::string_view piece : pieces.views) {
          if (step.add_prefix_space && !piece.starts_with(' ')) {
            std::string spaced(1, ' ');
            spaced.append(piece);
            piece = pieces.make(std::move(spaced));
          }
          if (step.regex)
            split_piece(piece, step, next);
          else
            next.push_back(piece);
        }
        break;
      case HfPreTokenizer::Kind::kMetaspace:
        for (size_t i = 0; i < pieces.views.size(); ++i) {
          std::string s(pieces.views[i]);
          replace_all(s, " ", step.replacement);
          const bool prepend =
              step.prepend_scheme == PrependScheme::kAlways ||
              (step.prepend_scheme == PrependScheme::kFirst && i == 0 && at_text_start);
          if (prepend && !s.starts_with(step.replacement)) s.insert(0, step.replacement);
          const std::string_view made = pieces.make(std::move(s));
          if (!step.split) {
            next.push_back(made);
            continue;
          }
          size_t at = 0;
          for (size_t pos = made.find(step.replacement, 1); pos != std::string_view::npos;
               pos = made.find(step.replacement, pos + step.replacement.size())) {
            next.push_back(made.substr(at, pos - at));
            at = pos;
          }
          if (at < made.size()) next.push_back(made.substr(at));
        }
        break;
    }
    pieces.views.swap(next);
  }

  HfTokenizerConfig config_;
  uint64_t serial_;
  std::unique_ptr<ByteBpe> byte_bpe_;
  std::unique_ptr<CharBpe> char_bpe_;
  SpecialSplitter specials_;
  std::vector<std::string> id_text_;  // as the vocabulary / added tokens spell them
  std::vector<bool> is_special_;
  std::unique_ptr<HfDecoderChain> decoder_;
  std::vector<int32_t> prefix_, suffix_;
  int32_t bos_ = -1, eos_ = -1;
};

}  // namespace

std::unique_ptr<Tokenizer> load_hf_json(const std::filesystem::path& tokenizer_json) {
  return std::make_unique<HfJsonTokenizer>(parse_hf_tokenizer_json(tokenizer_json));
}

}  // namespace tpbench::tok
