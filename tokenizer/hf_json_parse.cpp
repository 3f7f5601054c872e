// tokenizer.json -> HfTokenizerConfig. Only BPE models; the pieces of the pipeline that
// byte-level (GPT-2, Llama 3, Qwen2) and SentencePiece-converted (Llama 2, Mistral) files use.
#include <simdjson.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "tokenizer/hf_json_config.hpp"

namespace tpbench::tok {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Reads fields of one JSON file; every failure is an InputError "<file>: <field>: ...".
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw InputError(origin_ + ": " + field + ": " + what);
  }
  std::optional<element> find(element object, std::string_view key) const {
    element value;
    if (object.type() != element_type::OBJECT || object[key].get(value)) return std::nullopt;
    if (value.is_null()) return std::nullopt;
    return value;
  }
  element need(element object, std::string_view key, const std::string& field) const {
    auto value = find(object, key);
    if (!value) fail(field, "missing");
    return *value;
  }
  std::string string(element e, const std::string& field) const {
    std::string_view s;
    if (e.get(s)) fail(field, "expected a string");
    return std::string(s);
  }
  std::string string_at(element object, std::string_view key, const std::string& field) const {
    return string(need(object, key, field + "." + std::string(key)),
                  field + "." + std::string(key));
  }
  bool flag(element object, std::string_view key, const std::string& field, bool fallback) const {
    auto value = find(object, key);
    if (!value) return fallback;
    bool b = false;
    if (value->get(b)) fail(field + "." + std::string(key), "expected true or false");
    return b;
  }
  int64_t integer(element e, const std::string& field) const {
    int64_t v = 0;
    if (e.get(v)) fail(field, "expected an integer");
    return v;
  }
  simdjson::dom::array array(element e, const std::string& field) const {
    simdjson::dom::array a;
    if (e.get(a)) fail(field, "expected an array");
    return a;
  }
  simdjson::dom::object object(element e, const std::string& field) const {
    simdjson::dom::object o;
    if (e.get(o)) fail(field, "expected an object");
    return o;
  }
  // {"String": "..."} or {"Regex": "..."}: the pattern and whether it is literal.
  std::pair<std::string, bool> pattern(element object, const std::string& field) const {
    const element p = need(object, "pattern", field + ".pattern");
    if (auto s = find(p, "String")) return {string(*s, field + ".pattern.String"), true};
    if (auto r = find(p, "Regex")) return {string(*r, field + ".pattern.Regex"), false};
    fail(field + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
  }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

void parse_normalizer(const Reader& r, element n, const std::string& field,
                      HfTokenizerConfig& config) {
  const std::string type = r.string_at(n, "type", field);
  if (type == "Sequence") {
    size_t i = 0;
    for (element child : r.array(r.need(n, "normalizers", field + ".normalizers"), field))
      parse_normalizer(r, child, field + ".normalizers[" + std::to_string(i++) + "]", config);
  } else if (type == "Prepend") {
    HfNormalizer step(HfNormalizer::Kind::kPrepend);
    step.text = r.string_at(n, "prepend", field);
    config.normalizers.push_back(std::move(step));
  } else if (type == "Replace") {
    HfNormalizer step(HfNormalizer::Kind::kReplace);
    step.text = r.string_at(n, "content", field);
    auto [pattern, literal] = r.pattern(n, field);
    if (literal)
      step.literal = pattern;
    else
      step.regex = std::make_shared<RegexSplitter>(pattern, false, r.origin() + ": " + field);
    if (literal && pattern.empty()) r.fail(field + ".pattern", "empty");
    config.normalizers.push_back(std::move(step));
  } else if (type == "Strip") {
    HfNormalizer step(HfNormalizer::Kind::kStrip);
    step.left = r.flag(n, "strip_left", field, false);
    step.right = r.flag(n, "strip_right", field, false);
    config.normalizers.push_back(std::move(step));
  } else if (type == "NFC") {
    // Text from chat datasets is NFC already (composed characters are what keyboards and
    // web pages produce), so tpbench applies NFC as the identity rather than carry Unicode
    // tables; a non-NFC input would tokenize differently from HF.
    log_warn(r.origin() + ": " + field + ": NFC normalizer applied as identity");
  } else {
    r.fail(field + ".type", "normalizer '" + type + "' is not supported");
  }
}

SplitBehavior parse_behavior(const Reader& r, element n, const std::string& field) {
  const std::string b = r.string_at(n, "behavior", field);
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  r.fail(field + ".behavior", "unknown behavior '" + b + "'");
}

PrependScheme parse_prepend_scheme(const Reader& r, element n, const std::string& field) {
  if (auto scheme = r.find(n, "prepend_scheme")) {
    const std::string s = r.string(*scheme, field + ".prepend_scheme");
    if (s == "always") return PrependScheme::kAlways;
    if (s == "first") return PrependScheme::kFirst;
    if (s == "never") return PrependScheme::kNever;
    r.fail(field + ".prepend_scheme", "unknown scheme '" + s + "'");
  }
  // Files older than prepend_scheme say add_prefix_space.
  return r.flag(n, "add_prefix_space", field, true) ? PrependScheme::kAlways
                                                    : PrependScheme::kNever;
}

void parse_pre_tokenizer(const Reader& r, element p, const std::string& field,
                         HfTokenizerConfig& config) {
  const std::string type = r.string_at(p, "type", field);
  if (type == "Sequence") {
    size_t i = 0;
    for (element child : r.array(r.need(p, "pretokenizers", field + ".pretokenizers"), field))
      parse_pre_tokenizer(r, child, field + ".pretokenizers[" + std::to_string(i++) + "]", config);
  } else if (type == "Split") {
    HfPreTokenizer step(HfPreTokenizer::Kind::kSplit);
    auto [pattern, literal] = r.pattern(p, field);
    if (pattern.empty()) r.fail(field + ".pattern", "empty");
    step.regex = std::make_shared<RegexSplitter>(pattern, literal, r.origin() + ": " + field);
    step.behavior = parse_behavior(r, p, field);
    step.invert = r.flag(p, "invert", field, false);
    config.pre_tokenizers.push_back(std::move(step));
  } else if (type == "ByteLevel") {
    HfPreTokenizer step(HfPreTokenizer::Kind::kByteLevel);
    step.add_prefix_space = r.flag(p, "add_prefix_space", field, true);
    if (r.flag(p, "use_regex", field, true))
      step.regex = std::make_shared<RegexSplitter>(kGpt2Pattern, false, r.origin() + ": " + field);
    config.pre_tokenizers.push_back(std::move(step));
    config.byte_level = true;
  } else if (type == "Metaspace") {
    HfPreTokenizer step(HfPreTokenizer::Kind::kMetaspace);
    step.replacement = r.string_at(p, "replacement", field);
    step.prepend_scheme = parse_prepend_scheme(r, p, field);
    step.split = r.flag(p, "split", field, true);
    config.pre_tokenizers.push_back(std::move(step));
  } else if (type == "Digits") {
    HfPreTokenizer step(HfPreTokenizer::Kind::kSplit);
    const bool individual = r.flag(p, "individual_digits", field, false);
    step.regex = std::make_shared<RegexSplitter>(individual ? R"(\p{N})" : R"(\p{N}+)", false,
                                                 r.origin() + ": " + field);
    config.pre_tokenizers.push_back(std::move(step));
  } else {
    r.fail(field + ".type", "pre-tokenizer '" + type + "' is not supported");
  }
}

void parse_decoder(const Reader& r, element d, const std::string& field,
                   HfTokenizerConfig& config) {
  const std::string type = r.string_at(d, "type", field);
  if (type == "Sequence") {
    size_t i = 0;
    for (element child : r.array(r.need(d, "decoders", field + ".decoders"), field))
      parse_decoder(r, child, field + ".decoders[" + std::to_string(i++) + "]", config);
  } else if (type == "ByteLevel") {
    config.decoders.push_back(HfDecoder(HfDecoder::Kind::kByteLevel));
  } else if (type == "Replace") {
    HfDecoder step(HfDecoder::Kind::kReplace);
    auto [pattern, literal] = r.pattern(d, field);
    if (!literal || pattern.empty()) r.fail(field + ".pattern", "only non-empty String patterns");
    step.from = pattern;
    step.to = r.string_at(d, "content", field);
    config.decoders.push_back(std::move(step));
  } else if (type == "ByteFallback") {
    config.decoders.push_back(HfDecoder(HfDecoder::Kind::kByteFallback));
  } else if (type == "Fuse") {
    config.decoders.push_back(HfDecoder(HfDecoder::Kind::kFuse));
  } else if (type == "Strip") {
    HfDecoder step(HfDecoder::Kind::kStrip);
    step.strip_content = r.string_at(d, "content", field);
    step.strip_start =
        static_cast<size_t>(r.integer(r.need(d, "start", field + ".start"), field + ".start"));
    step.strip_stop =
        static_cast<size_t>(r.integer(r.need(d, "stop", field + ".stop"), field + ".stop"));
    config.decoders.push_back(std::move(step));
  } else if (type == "Metaspace") {
    HfDecoder step(HfDecoder::Kind::kMetaspace);
    step.from = r.string_at(d, "replacement", field);
    step.strip_first_space = parse_prepend_scheme(r, d, field) != PrependScheme::kNever;
    config.decoders.push_back(std::move(step));
  } else {
    r.fail(field + ".type", "decoder '" + type + "' is not supported");
  }
}

void parse_model(const Reader& r, element m, HfBpeModel& model) {
  std::string type = "BPE";
  if (auto t = r.find(m, "type")) type = r.string(*t, "model.type");
  if (type != "BPE") r.fail("model.type", "'" + type + "' is not supported (only BPE)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (auto v = r.find(m, key); v && !r.string(*v, std::string("model.") + key).empty())
      r.fail(std::string("model.") + key, "not supported");
  for (auto [key, value] : r.object(r.need(m, "vocab", "model.vocab"), "model.vocab")) {
    const int64_t id = r.integer(value, "model.vocab[\"" + std::string(key) + "\"]");
    if (id < 0 || id > INT32_MAX) r.fail("model.vocab[\"" + std::string(key) + "\"]", "bad id");
    model.vocab.emplace_back(std::string(key), static_cast<int32_t>(id));
  }
  if (model.vocab.empty()) r.fail("model.vocab", "empty");
  size_t i = 0;
  for (element merge : r.array(r.need(m, "merges", "model.merges"), "model.merges")) {
    const std::string field = "model.merges[" + std::to_string(i++) + "]";
    std::string_view line;
    simdjson::dom::array pair;
    if (!merge.get(line)) {  // "left right"
      const size_t space = line.find(' ');
      if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos)
        r.fail(field, "expected \"left right\"");
      model.merges.emplace_back(std::string(line.substr(0, space)),
                                std::string(line.substr(space + 1)));
    } else if (!merge.get(pair) && pair.size() == 2) {  // ["left", "right"]
      model.merges.emplace_back(r.string(pair.at(0).value(), field),
                                r.string(pair.at(1).value(), field));
    } else {
      r.fail(field, "expected \"left right\" or [left, right]");
    }
  }
  if (auto unk = r.find(m, "unk_token")) model.unk_token = r.string(*unk, "model.unk_token");
  model.fuse_unk = r.flag(m, "fuse_unk", "model", false);
  model.byte_fallback = r.flag(m, "byte_fallback", "model", false);
  model.ignore_merges = r.flag(m, "ignore_merges", "model", false);
}

void parse_added_tokens(const Reader& r, element doc, HfTokenizerConfig& config) {
  auto list = r.find(doc, "added_tokens");
  if (!list) return;
  size_t i = 0;
  for (element t : r.array(*list, "added_tokens")) {
    const std::string field = "added_tokens[" + std::to_string(i++) + "]";
    HfAddedToken added;
    added.token.content = r.string_at(t, "content", field);
    added.token.id = static_cast<int32_t>(r.integer(r.need(t, "id", field + ".id"), field + ".id"));
    added.token.lstrip = r.flag(t, "lstrip", field, false);
    added.token.rstrip = r.flag(t, "rstrip", field, false);
    added.special = r.flag(t, "special", field, false);
    config.added_tokens.push_back(std::move(added));
  }
}

// The special tokens a TemplateProcessing / Roberta / Bert post-processor puts around text.
void parse_post_processor(const Reader& r, element p, const std::string& field,
                          HfTokenizerConfig& config) {
  const std::string type = r.string_at(p, "type", field);
  if (type == "Sequence") {
    size_t i = 0;
    for (element child : r.array(r.need(p, "processors", field + ".processors"), field))
      parse_post_processor(r, child, field + ".processors[" + std::to_string(i++) + "]", config);
  } else if (type == "ByteLevel") {
    // Only adjusts offsets.
  } else if (type == "TemplateProcessing") {
    const element specials = r.need(p, "special_tokens", field + ".special_tokens");
    bool seen_sequence = false;
    size_t i = 0;
    for (element item : r.array(r.need(p, "single", field + ".single"), field + ".single")) {
      const std::string item_field = field + ".single[" + std::to_string(i++) + "]";
      if (r.find(item, "Sequence")) {
        seen_sequence = true;
        continue;
      }
      const element special = r.need(item, "SpecialToken", item_field + ".SpecialToken");
      const std::string name = r.string_at(special, "id", item_field + ".SpecialToken");
      const std::string entry = field + ".special_tokens[\"" + name + "\"]";
      for (element id :
           r.array(r.need(r.need(specials, name, entry), "ids", entry + ".ids"), entry))
        (seen_sequence ? config.suffix_ids : config.prefix_ids)
            .push_back(static_cast<int32_t>(r.integer(id, entry + ".ids")));
    }
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    auto id_of = [&](std::string_view key) {
      simdjson::dom::array pair = r.array(r.need(p, key, field + "." + std::string(key)), field);
      if (pair.size() != 2) r.fail(field + "." + std::string(key), "expected [token, id]");
      return static_cast<int32_t>(r.integer(pair.at(1).value(), field + "." + std::string(key)));
    };
    config.prefix_ids.push_back(id_of("cls"));
    config.suffix_ids.push_back(id_of("sep"));
  } else {
    r.fail(field + ".type", "post-processor '" + type + "' is not supported");
  }
}

std::optional<std::string> token_text(const Reader& r, element config, std::string_view key) {
  auto value = r.find(config, key);
  if (!value) return std::nullopt;
  if (value->is_string()) return r.string(*value, std::string(key));
  return r.string_at(*value, "content", std::string(key));  // {"content": "<s>", ...}
}

// tokenizer_config.json: bos/eos names, and add_bos_token / add_eos_token, which Llama-style
// HF tokenizers apply over the post-processor.
void parse_tokenizer_config(const std::filesystem::path& file, HfTokenizerConfig& config) {
  const Reader r(file.string());
  simdjson::dom::parser parser;
  element doc;
  if (auto error = parser.load(file.string()).get(doc))
    throw InputError(file.string() + ": not valid JSON (" + simdjson::error_message(error) + ")");
  if (doc.type() != element_type::OBJECT) r.fail("(top level)", "expected an object");
  config.bos_token = token_text(r, doc, "bos_token");
  config.eos_token = token_text(r, doc, "eos_token");
  if (r.find(doc, "add_bos_token"))
    config.add_bos_token = r.flag(doc, "add_bos_token", "(top level)", false);
  if (r.find(doc, "add_eos_token"))
    config.add_eos_token = r.flag(doc, "add_eos_token", "(top level)", false);
}

}  // namespace

HfTokenizerConfig parse_hf_tokenizer_json(const std::filesystem::path& tokenizer_json) {
  HfTokenizerConfig config;
  config.origin = tokenizer_json.string();
  const Reader r(config.origin);
  simdjson::dom::parser parser;
  element doc;
  if (auto error = parser.load(config.origin).get(doc))
    throw InputError(config.origin + ": not valid JSON (" + simdjson::error_message(error) + ")");
  if (doc.type() != element_type::OBJECT) r.fail("(top level)", "expected an object");

  parse_model(r, r.need(doc, "model", "model"), config.model);
  if (auto n = r.find(doc, "normalizer")) parse_normalizer(r, *n, "normalizer", config);
  if (auto p = r.find(doc, "pre_tokenizer")) parse_pre_tokenizer(r, *p, "pre_tokenizer", config);
  if (auto d = r.find(doc, "decoder"))
    parse_decoder(r, *d, "decoder", config);
  else
    config.decoder_missing = true;
  if (auto p = r.find(doc, "post_processor")) parse_post_processor(r, *p, "post_processor", config);
  parse_added_tokens(r, doc, config);

  const auto config_file = tokenizer_json.parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_file)) parse_tokenizer_config(config_file, config);
  return config;
}

}  // namespace tpbench::tok
