// Meta's Llama 3 tokenizer: tiktoken BPE ranks ("<base64 bytes> <rank>" lines), the Llama 3
// pre-tokenizer regex, and 256 special tokens numbered right after the ranks. Special-token
// text in the input is encoded as the special token, as HF's Llama 3 tokenizer does.
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "tokenizer/byte_bpe.hpp"
#include "tokenizer/piece_cache.hpp"
#include "tokenizer/regex_splitter.hpp"
#include "tokenizer/special_splitter.hpp"
#include "tokenizer/tokenizers_internal.hpp"

namespace tpbench::tok {

// The special tokens of Meta's llama3 tokenizer.py (llama-models), in id order.
std::vector<std::string> llama3_special_tokens() {
  std::vector<std::string> names = {"<|begin_of_text|>",
                                    "<|end_of_text|>",
                                    "<|reserved_special_token_0|>",
                                    "<|reserved_special_token_1|>",
                                    "<|finetune_right_pad_id|>",
                                    "<|step_id|>",
                                    "<|start_header_id|>",
                                    "<|end_header_id|>",
                                    "<|eom_id|>",
                                    "<|eot_id|>",
                                    "<|python_tag|>",
                                    "<|image|>"};
  constexpr int kReserved = 256;
  const int named = static_cast<int>(names.size());
  for (int i = 0; i < kReserved - named; ++i)
    names.push_back("<|reserved_special_token_" + std::to_string(2 + i) + "|>");
  return names;
}

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  if (in.empty() || in.size() % 4 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = base64_value(c)) < 0) {
        return false;
      }
    }
    const uint32_t triple = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>(triple >> 16);
    if (pad < 2) out += static_cast<char>((triple >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(triple & 0xFF);
  }
  return true;
}

class TiktokenTokenizer final : public Tokenizer {
 public:
  explicit TiktokenTokenizer(const std::filesystem::path& file)
      : serial_(PieceCache::next_serial()),
        regex_(kLlama3Pattern, false, file.string() + " (Llama 3 pre-tokenizer)") {
    load_ranks(file);
    const std::vector<std::string> specials = llama3_special_tokens();
    const auto base = static_cast<int32_t>(id_bytes_.size());
    for (size_t i = 0; i < specials.size(); ++i) {
      specials_.add(SpecialToken{specials[i], base + static_cast<int32_t>(i)});
      id_bytes_.push_back(specials[i]);
    }
    special_from_ = base;
    bos_ = base;      // <|begin_of_text|>
    eos_ = base + 1;  // <|end_of_text|>
  }

  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override {
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 2);
    if (add_bos) ids.push_back(bos_);
    specials_.split(
        text,
        [&](std::string_view segment) {
          regex_.for_each_piece(segment, [&](size_t b, size_t e) {
            bpe_.encode_piece(segment.substr(b, e - b), serial_, ids);
          });
        },
        [&](int32_t id) { ids.push_back(id); });
    return ids;
  }

  std::string decode(std::span<const int32_t> ids) const override {
    std::string out;
    for (int32_t id : ids) {
      if (id < 0 || id >= vocab_size())
        throw InputError("decode: token id " + std::to_string(id) + " out of range");
      if (id < special_from_) out += id_bytes_[id];
    }
    return out;
  }

  int32_t bos_id() const override { return bos_; }
  int32_t eos_id() const override { return eos_; }
  int32_t vocab_size() const override { return static_cast<int32_t>(id_bytes_.size()); }
  std::string kind() const override { return "tiktoken-bpe"; }

 private:
  void load_ranks(const std::filesystem::path& file) {
    const std::string origin = file.string();
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(origin + ": cannot open");
    std::string line, bytes;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty()) continue;
      const size_t space = line.find(' ');
      const auto where = [&] { return origin + ":" + std::to_string(line_no) + ": "; };
      if (space == std::string::npos) throw InputError(where() + "expected '<base64> <rank>'");
      if (!base64_decode(std::string_view(line).substr(0, space), bytes))
        throw InputError(where() + "bad base64 token");
      const std::string rank_text = line.substr(space + 1);
      size_t used = 0;
      long rank = -1;
      try {
        rank = std::stol(rank_text, &used);
      } catch (const std::exception&) {
      }
      if (rank_text.empty() || used != rank_text.size() ||
          rank != static_cast<long>(id_bytes_.size()))
        throw InputError(where() + "rank '" + rank_text + "' is not the next rank " +
                         std::to_string(id_bytes_.size()));
      if (bpe_.find_token(bytes)) throw InputError(where() + "token listed twice");
      bpe_.add_token(bytes, static_cast<int32_t>(rank));
      id_bytes_.push_back(bytes);
    }
    if (id_bytes_.empty()) throw InputError(origin + ": no BPE ranks");
    bpe_.check_complete(origin);
    // Merges from ranks: each token of 2+ bytes is made from any two tokens that spell it;
    // the merge ranks as the token does (tiktoken merges the lowest-ranked concatenation).
    bpe_.reserve_pairs(id_bytes_.size() * 2);
    for (size_t id = 0; id < id_bytes_.size(); ++id) {
      const std::string_view token = id_bytes_[id];
      for (size_t cut = 1; cut < token.size(); ++cut) {
        const int32_t* left = bpe_.find_token(token.substr(0, cut));
        const int32_t* right = bpe_.find_token(token.substr(cut));
        if (left && right)
          bpe_.add_merge(*left, *right, static_cast<int32_t>(id), static_cast<int32_t>(id));
      }
    }
    bpe_.set_whole_piece_shortcut(true);
  }

  uint64_t serial_;
  RegexSplitter regex_;
  ByteBpe bpe_;
  SpecialSplitter specials_;
  std::vector<std::string> id_bytes_;
  int32_t special_from_ = 0;
  int32_t bos_ = -1;
  int32_t eos_ = -1;
};

}  // namespace

std::unique_ptr<Tokenizer> load_tiktoken(const std::filesystem::path& model_file) {
  return std::make_unique<TiktokenTokenizer>(model_file);
}

}  // namespace tpbench::tok
