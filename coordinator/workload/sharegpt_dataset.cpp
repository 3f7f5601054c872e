#include "coordinator/workload/sharegpt_dataset.hpp"

#include <simdjson.h>

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/error.hpp"

namespace tpbench {
namespace {

namespace od = simdjson::ondemand;

class ShareGptParser {
 public:
  explicit ShareGptParser(ShareGptDataset& out) : out_(out) {}

  void parse() {
    read_file();
    od::document doc;
    if (auto e = parser_.iterate(json_).get(doc)) fail_document(e);
    od::json_type top;
    if (auto e = doc.type().get(top)) fail_document(e);
    if (top != od::json_type::array) {
      if (top != od::json_type::object && !is_valid_scalar(doc)) fail("not valid JSON");
      fail("top level is not an array (got " + type_name(top) + ")");
    }
    od::array records;
    if (auto e = doc.get_array().get(records)) fail_document(e);
    for (auto record_result : records) {
      od::value record;
      if (auto e = record_result.get(record)) fail_json(where(), e);
      parse_record(record);
      ++record_index_;
    }
    out_.records = record_index_;
    if (out_.records == 0) fail("the top-level array is empty: no records");
  }

 private:
  void read_file() {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(out_.path, ec)) {
      fail(std::filesystem::exists(out_.path, ec) ? "not a regular file" : "no such file");
    }
    if (auto e = simdjson::padded_string::load(out_.path).get(json_)) {
      fail(std::string("cannot read: ") + simdjson::error_message(e));
    }
    end_ = json_.data() + json_.size();
  }

  void parse_record(od::value& record_value) {
    od::object record;
    od::json_type type;
    if (auto e = record_value.type().get(type)) fail_json(where(), e);
    if (type != od::json_type::object) {
      fail(where() + " is not an object (got " + type_name(type) + ")");
    }
    if (auto e = record_value.get_object().get(record)) fail_json(where(), e);
    bool seen = false;
    ShareGptConversation conversation;
    conversation.record = static_cast<uint32_t>(record_index_);
    TextArena::Mark mark = out_.text.mark();
    for (auto field_result : record) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) fail_json(where(), e);
      if (field.key() != "conversations") continue;
      if (seen) out_.text.rewind(mark);  // a repeated key: the last one wins, as in CPython
      seen = true;
      od::value conversations = field.value();
      parse_conversations(conversations, conversation);
    }
    if (!seen) fail(where() + ": \"conversations\" missing");
    if (conversation.turns >= 2) {
      out_.conversations.push_back(conversation);
    } else {
      out_.text.rewind(mark);
    }
  }

  void parse_conversations(od::value& value, ShareGptConversation& conversation) {
    od::json_type type;
    if (auto e = value.type().get(type)) fail_json(where(), e);
    if (type != od::json_type::array) {
      fail(where() + ": \"conversations\" is not a list (got " + type_name(type) + ")");
    }
    od::array turns;
    if (auto e = value.get_array().get(turns)) fail_json(where(), e);
    uint32_t turn_index = 0;
    conversation.turns = 0;
    for (auto turn_result : turns) {
      od::value turn;
      if (auto e = turn_result.get(turn)) fail_json(where(), e);
      std::string_view* keep = turn_index == 0   ? &conversation.prompt
                               : turn_index == 1 ? &conversation.completion
                                                 : nullptr;
      parse_turn(turn, turn_index, keep);
      ++turn_index;
    }
    conversation.turns = turn_index;
  }

  void parse_turn(od::value& turn_value, uint32_t turn_index, std::string_view* keep) {
    const std::string at = where() + ": conversations[" + std::to_string(turn_index) + "]";
    od::json_type type;
    if (auto e = turn_value.type().get(type)) fail_json(at, e);
    if (type != od::json_type::object) fail(at + " is not an object (got " + type_name(type) + ")");
    od::object turn;
    if (auto e = turn_value.get_object().get(turn)) fail_json(at, e);
    bool has_from = false, has_value = false;
    for (auto field_result : turn) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) fail_json(at, e);
      const bool is_from = field.key() == "from";
      const bool is_value = !is_from && field.key() == "value";
      if (!is_from && !is_value) continue;
      od::value v = field.value();
      if (auto e = v.type().get(type)) fail_json(at, e);
      const char* name = is_from ? "from" : "value";
      if (type != od::json_type::string) {
        fail(at + "." + name + " is not a string (got " + type_name(type) + ")");
      }
      if (is_from) {
        has_from = true;
      } else {
        has_value = true;
        if (keep) *keep = copy_string(v, at);
      }
    }
    if (!has_from) fail(at + ": \"from\" missing");
    if (!has_value) fail(at + ": \"value\" missing");
  }

  // Unescapes a string value straight into the arena: no second copy in the parser's buffer.
  std::string_view copy_string(od::value& v, const std::string& at) {
    od::raw_json_string raw;
    if (auto e = v.get_raw_json_string().get(raw)) fail_json(at + ".value", e);
    const char* begin = reinterpret_cast<const char*>(raw.raw());
    const char* close = find_closing_quote(begin);
    if (!close) fail(at + ".value: unterminated string");
    const size_t raw_len = static_cast<size_t>(close - begin);
    // simdjson's string parser writes whole SIMD blocks: leave it padding past the end.
    char* dst = out_.text.reserve(raw_len + simdjson::SIMDJSON_PADDING);
    uint8_t* cursor = reinterpret_cast<uint8_t*>(dst);
    std::string_view fast;
    size_t len = 0;
    if (!parser_.unescape(raw, cursor).get(fast)) {
      len = fast.size();
    } else if (!unescape_json_string(std::string_view(begin, raw_len), dst, &len)) {
      fail(at + ".value: invalid escape in string");
    }
    return out_.text.commit(len);
  }

  const char* find_closing_quote(const char* p) const {
    while (p < end_) {
      const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end_ - p)));
      if (!q) return nullptr;
      size_t backslashes = 0;
      for (const char* b = q; b > p && b[-1] == '\\'; --b) ++backslashes;
      if (backslashes % 2 == 0) return q;
      p = q + 1;
    }
    return nullptr;
  }

  // simdjson types a document by its first byte ("this is text" is a "boolean"): read it whole.
  static bool is_valid_scalar(od::document& doc) {
    od::json_type type;
    if (doc.type().get(type)) return false;
    switch (type) {
      case od::json_type::boolean:
        return !doc.get_bool().error();
      case od::json_type::null:
        return !doc.is_null().error() && doc.is_null().value_unsafe();
      case od::json_type::number:
        return !doc.get_double().error();
      case od::json_type::string:
        return !doc.get_string().error();
      default:
        return true;
    }
  }

  // Says where a document that simdjson's whole-file pass rejected goes wrong: the record a
  // truncated file ends in (commas at depth 1, outside strings), or content after the array.
  // Only run on the error path.
  std::string locate_structure_error() const {
    size_t index = 0;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (const char* p = json_.data(); p < end_; ++p) {
      const char c = *p;
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        ++depth;
      } else if (c == ']' || c == '}') {
        if (--depth == 0) {
          for (const char* q = p + 1; q < end_; ++q) {
            if (*q != ' ' && *q != '\n' && *q != '\r' && *q != '\t') {
              return "content after the top-level array, at byte " +
                     std::to_string(q - json_.data());
            }
          }
          return "";
        }
      } else if (c == ',' && depth == 1) {
        ++index;
      }
    }
    if (depth > 0 || in_string) {
      return "record " + std::to_string(index) + ": truncated JSON: the file ends inside it";
    }
    return "";
  }

  std::string where() const { return "record " + std::to_string(record_index_); }

  static std::string type_name(od::json_type t) {
    switch (t) {
      case od::json_type::array:
        return "array";
      case od::json_type::object:
        return "object";
      case od::json_type::number:
        return "number";
      case od::json_type::string:
        return "string";
      case od::json_type::boolean:
        return "boolean";
      case od::json_type::null:
        return "null";
    }
    return "?";
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError("dataset " + out_.path + ": " + what);
  }
  // Errors simdjson finds before the first record (its whole-file pass) carry no position.
  [[noreturn]] void fail_document(simdjson::error_code e) const {
    if (e == simdjson::UNCLOSED_STRING || e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
      const std::string located = locate_structure_error();
      if (!located.empty()) fail(located + " (" + simdjson::error_message(e) + ")");
    }
    fail_json("", e);
  }
  [[noreturn]] void fail_json(const std::string& at, simdjson::error_code e) const {
    fail((at.empty() ? std::string() : at + ": ") + "invalid JSON (" + simdjson::error_message(e) +
         ")");
  }

  ShareGptDataset& out_;
  simdjson::padded_string json_;
  const char* end_ = nullptr;
  od::parser parser_;
  size_t record_index_ = 0;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool read_hex4(std::string_view s, size_t at, uint32_t* out) {
  if (at + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    int h = hex_value(s[at + i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  *out = v;
  return true;
}

size_t put_utf8(uint32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace

bool unescape_json_string(std::string_view raw, char* out, size_t* out_len) {
  size_t n = 0;
  for (size_t i = 0; i < raw.size();) {
    char c = raw[i];
    if (c != '\\') {
      out[n++] = c;
      ++i;
      continue;
    }
    if (i + 1 >= raw.size()) return false;
    char e = raw[i + 1];
    i += 2;
    switch (e) {
      case '"':
        out[n++] = '"';
        break;
      case '\\':
        out[n++] = '\\';
        break;
      case '/':
        out[n++] = '/';
        break;
      case 'b':
        out[n++] = '\b';
        break;
      case 'f':
        out[n++] = '\f';
        break;
      case 'n':
        out[n++] = '\n';
        break;
      case 'r':
        out[n++] = '\r';
        break;
      case 't':
        out[n++] = '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!read_hex4(raw, i, &cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low;
          if (i + 1 < raw.size() && raw[i] == '\\' && raw[i + 1] == 'u' &&
              read_hex4(raw, i + 2, &low) && low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        n += put_utf8(cp, out + n);
        break;
      }
      default:
        return false;
    }
  }
  *out_len = n;
  return true;
}

ShareGptDataset load_sharegpt(const std::string& path) {
  ShareGptDataset dataset;
  dataset.path = path;
  ShareGptParser(dataset).parse();
  return dataset;
}

}  // namespace tpbench
