#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex_splitter.hpp"

#include <pcre2.h>

#include "common/error.hpp"

namespace tpbench::tok {

struct RegexSplitter::Code {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Code() {
    if (code) pcre2_code_free(code);
  }
};

namespace {

// Per-thread match data and a JIT stack big enough for long runs of one character class.
struct ThreadMatchState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  ThreadMatchState() {
    data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~ThreadMatchState() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
  }
};

ThreadMatchState& thread_state() {
  thread_local ThreadMatchState state;
  return state;
}

}  // namespace

RegexSplitter::RegexSplitter(const std::string& pattern, bool literal, const std::string& origin)
    : code_(std::make_unique<Code>()), origin_(origin) {
  uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (literal) options = PCRE2_LITERAL | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  int error = 0;
  PCRE2_SIZE offset = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                              &error, &offset, nullptr);
  if (!code_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    throw InputError(origin + ": bad regex at offset " + std::to_string(offset) + ": " +
                     reinterpret_cast<const char*>(message));
  }
  code_->jit = pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE) == 0;
}

RegexSplitter::~RegexSplitter() = default;

bool RegexSplitter::next_match(std::string_view text, size_t start, size_t& begin,
                               size_t& end) const {
  ThreadMatchState& state = thread_state();
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  int rc =
      code_->jit
          ? pcre2_jit_match(code_->code, subject, text.size(), start, 0, state.data, state.context)
          : pcre2_match(code_->code, subject, text.size(), start, 0, state.data, state.context);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {  // 0 only says the one-pair ovector could not hold the groups
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(rc, message, sizeof(message));
    throw InputError(origin_ + ": regex match failed: " + reinterpret_cast<const char*>(message));
  }
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
  begin = ovector[0];
  end = ovector[1];
  return true;
}

}  // namespace tpbench::tok
