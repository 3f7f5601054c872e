#include "engine/model/torch_pickle.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>

#include "common/error.hpp"

namespace tpbench {
namespace {

constexpr int kMaxDepth = 32;                  // containers inside containers
constexpr size_t kMaxStack = size_t{1} << 22;  // values on the stack or in the memo

// Storage classes torch.save references, by dtype. Only F32/F16/BF16 can be read as weights;
// the others may hold buffers a model keeps (position ids, masks) and are listed but not read.
const std::map<std::string, std::string>& storage_dtypes() {
  static const std::map<std::string, std::string> m = {
      {"FloatStorage", "F32"},  {"HalfStorage", "F16"}, {"BFloat16Storage", "BF16"},
      {"DoubleStorage", "F64"}, {"LongStorage", "I64"}, {"IntStorage", "I32"},
      {"ShortStorage", "I16"},  {"CharStorage", "I8"},  {"ByteStorage", "U8"},
      {"BoolStorage", "BOOL"}};
  return m;
}

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// An inert pickle value. Containers are mutable (SETITEM, BUILD) only until they are placed in
// another value ("sealed"), which is the order a pickler writes them in; so a value can never
// contain itself and its depth is final once sealed.
struct Value {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kDict,
    kGlobal,
    kStorage,
    kTensor
  };
  Kind kind = Kind::kNone;
  int64_t i = 0;
  std::string s;                // string; global "module.name"; storage dtype
  std::vector<ValuePtr> items;  // tuple items; dict keys and values, alternating
  TorchTensorRef tensor;        // kStorage: key, dtype, numel; kTensor: all of it
  int depth = 1;
  bool sealed = false;
};

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kFloat:
      return "float";
    case Value::Kind::kString:
      return "str";
    case Value::Kind::kTuple:
      return "tuple";
    case Value::Kind::kDict:
      return "dict";
    case Value::Kind::kGlobal:
      return "global";
    case Value::Kind::kStorage:
      return "storage";
    case Value::Kind::kTensor:
      return "tensor";
  }
  return "?";
}

ValuePtr make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* bytes, uint64_t size, const std::string& where)
      : p_(bytes), size_(size), where_(where) {}

  ValuePtr run() {
    while (true) {
      op_pos_ = pos_;
      const uint8_t op = take(1)[0];
      if (op == '.') {  // STOP
        if (stack_.size() != 1 || !marks_.empty()) fail("STOP with a stack that is not one value");
        return stack_.back();
      }
      step(op);
      if (stack_.size() > kMaxStack || memo_.size() > kMaxStack) fail("too many values");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw InputError(where_ + ": byte " + std::to_string(op_pos_) + ": " + why);
  }

  const uint8_t* take(uint64_t n) {
    if (n > size_ - pos_) {
      op_pos_ = pos_;
      fail("pickle truncated (no STOP opcode)");
    }
    const uint8_t* at = p_ + pos_;
    pos_ += n;
    return at;
  }
  uint64_t le(int n) {
    const uint8_t* b = take(n);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  }
  std::string line() {
    const uint8_t* begin = p_ + pos_;
    const void* nl = std::memchr(begin, '\n', size_ - pos_);
    if (nl == nullptr) fail("pickle truncated inside a GLOBAL");
    const auto len = static_cast<uint64_t>(static_cast<const uint8_t*>(nl) - begin);
    pos_ += len + 1;
    return std::string(reinterpret_cast<const char*>(begin), len);
  }

  ValuePtr pop() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size()))
      fail("stack underflow");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()),
                                stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  ValuePtr& top() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size()))
      fail("stack underflow");
    return stack_.back();
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }

  // Places `child` inside `parent` (sealing it) and keeps parent's depth.
  void adopt(Value& parent, const ValuePtr& child) {
    if (child.get() == &parent) fail("a container cannot contain itself");
    child->sealed = true;
    parent.depth = std::max(parent.depth, child->depth + 1);
    if (parent.depth > kMaxDepth) fail("values nest deeper than " + std::to_string(kMaxDepth));
    parent.items.push_back(child);
  }
  ValuePtr tuple(const std::vector<ValuePtr>& items) {
    ValuePtr t = make(Value::Kind::kTuple);
    for (const ValuePtr& v : items) adopt(*t, v);
    return t;
  }
  Value& open_dict(ValuePtr& v, const char* op) {
    if (v->kind != Value::Kind::kDict) fail(std::string(op) + " on a " + kind_name(v->kind));
    if (v->sealed) fail(std::string(op) + " on a dict already placed in another value");
    return *v;
  }
  void set_item(Value& dict, const ValuePtr& key, const ValuePtr& value) {
    if (key->kind != Value::Kind::kString && key->kind != Value::Kind::kInt)
      fail(std::string("dict key of type ") + kind_name(key->kind));
    for (size_t k = 0; k < dict.items.size(); k += 2) {
      const Value& old = *dict.items[k];
      if (old.kind == key->kind && old.s == key->s && old.i == key->i) {
        if (value.get() == &dict) fail("a container cannot contain itself");
        value->sealed = true;
        dict.depth = std::max(dict.depth, value->depth + 1);
        if (dict.depth > kMaxDepth) fail("values nest deeper than " + std::to_string(kMaxDepth));
        dict.items[k + 1] = value;
        return;
      }
    }
    adopt(dict, key);
    adopt(dict, value);
  }
  ValuePtr memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
    return it->second;
  }
  ValuePtr string(uint64_t len) {
    ValuePtr v = make(Value::Kind::kString);
    const uint8_t* b = take(len);
    v->s.assign(reinterpret_cast<const char*>(b), len);
    return v;
  }
  ValuePtr integer(int64_t i) {
    ValuePtr v = make(Value::Kind::kInt);
    v->i = i;
    return v;
  }

  ValuePtr global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    const bool storage = module == "torch" && storage_dtypes().count(name) != 0;
    if (!storage && full != "collections.OrderedDict" &&
        full != "torch._utils._rebuild_tensor_v2" && full != "torch._utils._rebuild_parameter")
      fail("global '" + full +
           "' is not allowed: a state_dict pickle references only collections.OrderedDict, "
           "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and torch.*Storage "
           "(nothing in the file is executed)");
    ValuePtr v = make(Value::Kind::kGlobal);
    v->s = full;
    return v;
  }

  static bool is_int_tuple(const Value& v) {
    if (v.kind != Value::Kind::kTuple) return false;
    for (const ValuePtr& x : v.items)
      if (x->kind != Value::Kind::kInt) return false;
    return true;
  }

  // The effect of calling an allow-listed global, decoded rather than executed.
  ValuePtr reduce(const Value& callable, const Value& args) {
    if (callable.kind != Value::Kind::kGlobal)
      fail(std::string("REDUCE calls a ") + kind_name(callable.kind));
    if (args.kind != Value::Kind::kTuple) fail("REDUCE arguments are not a tuple");
    const auto& a = args.items;
    if (callable.s == "collections.OrderedDict") {
      if (!a.empty()) fail("collections.OrderedDict called with arguments");
      return make(Value::Kind::kDict);
    }
    if (callable.s == "torch._utils._rebuild_parameter") {
      if (a.size() < 2 || a[0]->kind != Value::Kind::kTensor)
        fail("torch._utils._rebuild_parameter needs (tensor, requires_grad, hooks)");
      return a[0];
    }
    if (callable.s == "torch._utils._rebuild_tensor_v2") {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() < 4 || a.size() > 7 || a[0]->kind != Value::Kind::kStorage ||
          a[1]->kind != Value::Kind::kInt || !is_int_tuple(*a[2]) || !is_int_tuple(*a[3]))
        fail("torch._utils._rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
      ValuePtr t = make(Value::Kind::kTensor);
      t->tensor = a[0]->tensor;
      t->tensor.offset = a[1]->i;
      for (const ValuePtr& x : a[2]->items) t->tensor.shape.push_back(x->i);
      for (const ValuePtr& x : a[3]->items) t->tensor.stride.push_back(x->i);
      return t;
    }
    fail("REDUCE of '" + callable.s + "' is not allowed");
  }

  // ('storage', torch.<Type>Storage, key, location, numel), as torch.save's persistent_id.
  ValuePtr persistent_load(const Value& pid) {
    const auto& a = pid.items;
    if (pid.kind != Value::Kind::kTuple || a.size() != 5 || a[0]->kind != Value::Kind::kString ||
        a[0]->s != "storage" || a[1]->kind != Value::Kind::kGlobal ||
        a[2]->kind != Value::Kind::kString || a[3]->kind != Value::Kind::kString ||
        a[4]->kind != Value::Kind::kInt)
      fail("persistent id is not ('storage', torch.<Type>Storage, key, location, numel)");
    const std::string& type = a[1]->s;
    const std::string prefix = "torch.";
    auto it = type.rfind(prefix, 0) == 0 ? storage_dtypes().find(type.substr(prefix.size()))
                                         : storage_dtypes().end();
    if (it == storage_dtypes().end())
      fail("persistent id names '" + type + "', not a storage type");
    if (a[4]->i < 0) fail("storage '" + a[2]->s + "' has a negative element count");
    ValuePtr v = make(Value::Kind::kStorage);
    v->tensor.dtype = it->second;
    v->tensor.storage_key = a[2]->s;
    v->tensor.storage_numel = a[4]->i;
    return v;
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80:  // PROTO
        if (take(1)[0] > 5) fail("pickle protocol above 5");
        return;
      case 0x95:  // FRAME: a length hint only
        take(8);
        return;
      case '(':  // MARK
        marks_.push_back(stack_.size());
        return;
      case 'N':
        return push(make(Value::Kind::kNone));
      case 0x88:    // NEWTRUE
      case 0x89: {  // NEWFALSE
        ValuePtr v = make(Value::Kind::kBool);
        v->i = op == 0x88;
        return push(v);
      }
      case 'J':  // BININT
        return push(integer(static_cast<int32_t>(le(4))));
      case 'K':  // BININT1
        return push(integer(static_cast<int64_t>(le(1))));
      case 'M':  // BININT2
        return push(integer(static_cast<int64_t>(le(2))));
      case 0x8a: {  // LONG1: n-byte two's complement
        const uint64_t n = le(1);
        if (n > 8) fail("integer wider than 64 bits");
        uint64_t v = n == 0 ? 0 : le(static_cast<int>(n));
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
        return push(integer(static_cast<int64_t>(v)));
      }
      case 'G': {  // BINFLOAT, big-endian
        const uint8_t* b = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
        ValuePtr v = make(Value::Kind::kFloat);
        v->i = static_cast<int64_t>(bits);
        return push(v);
      }
      case 'X':  // BINUNICODE
      case 'T':  // BINSTRING
      case 'B':  // BINBYTES
        return push(string(le(4)));
      case 0x8c:  // SHORT_BINUNICODE
      case 'U':   // SHORT_BINSTRING
      case 'C':   // SHORT_BINBYTES
        return push(string(le(1)));
      case ')':
        return push(make(Value::Kind::kTuple));
      case 't':
        return push(tuple(pop_to_mark()));
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        std::vector<ValuePtr> items(op - 0x84);
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        return push(tuple(items));
      }
      case '}':
        return push(make(Value::Kind::kDict));
      case 'd': {  // DICT
        std::vector<ValuePtr> items = pop_to_mark();
        if (items.size() % 2) fail("DICT with an odd number of items");
        ValuePtr d = make(Value::Kind::kDict);
        for (size_t k = 0; k < items.size(); k += 2) set_item(*d, items[k], items[k + 1]);
        return push(d);
      }
      case 's': {  // SETITEM
        ValuePtr value = pop(), key = pop();
        return set_item(open_dict(top(), "SETITEM"), key, value);
      }
      case 'u': {  // SETITEMS
        std::vector<ValuePtr> items = pop_to_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of items");
        Value& d = open_dict(top(), "SETITEMS");
        for (size_t k = 0; k < items.size(); k += 2) set_item(d, items[k], items[k + 1]);
        return;
      }
      case 'q':  // BINPUT
        memo_[le(1)] = top();
        return;
      case 'r':  // LONG_BINPUT
        memo_[le(4)] = top();
        return;
      case 0x94:  // MEMOIZE
        memo_[memo_.size()] = top();
        return;
      case 'h':  // BINGET
        return push(memo_get(le(1)));
      case 'j':  // LONG_BINGET
        return push(memo_get(le(4)));
      case 'c': {  // GLOBAL "module\nname\n"
        const std::string module = line();
        return push(global(module, line()));
      }
      case 0x93: {  // STACK_GLOBAL
        ValuePtr name = pop(), module = pop();
        if (name->kind != Value::Kind::kString || module->kind != Value::Kind::kString)
          fail("STACK_GLOBAL needs two strings");
        return push(global(module->s, name->s));
      }
      case 'Q':  // BINPERSID
        return push(persistent_load(*pop()));
      case 'R': {  // REDUCE
        ValuePtr args = pop(), callable = pop();
        return push(reduce(*callable, *args));
      }
      case 'b': {  // BUILD: only an OrderedDict's attributes (state_dict's _metadata), ignored
        ValuePtr state = pop();
        open_dict(top(), "BUILD");
        if (state->kind != Value::Kind::kDict && state->kind != Value::Kind::kNone &&
            state->kind != Value::Kind::kTuple)
          fail(std::string("BUILD with a ") + kind_name(state->kind) + " state");
        return;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        fail(std::string("pickle opcode ") + hex +
             " is not one a state_dict pickle uses (refused, nothing executed)");
      }
    }
  }

  const uint8_t* p_;
  uint64_t size_, pos_ = 0, op_pos_ = 0;
  const std::string& where_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
};

}  // namespace

std::map<std::string, TorchTensorRef> read_state_dict_pickle(const uint8_t* bytes, uint64_t size,
                                                             const std::string& where) {
  const ValuePtr root = Unpickler(bytes, size, where).run();
  if (root->kind != Value::Kind::kDict)
    throw InputError(where + ": the pickle holds a value of type " + kind_name(root->kind) +
                     ", not a state_dict (a dict of tensors)");
  std::map<std::string, TorchTensorRef> tensors;
  for (size_t k = 0; k < root->items.size(); k += 2) {
    const Value &key = *root->items[k], &value = *root->items[k + 1];
    if (key.kind == Value::Kind::kString && value.kind == Value::Kind::kTensor)
      tensors[key.s] = value.tensor;
  }
  return tensors;
}

}  // namespace tpbench
