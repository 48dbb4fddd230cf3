// Checks on simdjson on-demand values that are as strict as simdjson's DOM parser, so one
// on-demand pass can both validate a record and read it.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ec {

// On demand, simdjson's stage 1 checks UTF-8, unescaped control characters and string
// boundaries of the whole document, but only what is read is checked further: skipped
// values, escapes and literals are not. StrictJson checks the rest, as the DOM parser does, for
// the values it is given. "false" means "not proven valid": the caller falls back to the DOM
// parser, so a check may be stricter than DOM (escaped keys, deep nesting) but never looser.
//
// Owned by one operator and used from its task thread. `parser` is the on-demand parser whose
// document is being read; the scratch buffer grows with the largest record seen.
class StrictJson {
 public:
  explicit StrictJson(const simdjson::ondemand::parser& parser) : parser_(parser) {}

  // Call before checking the values of a record of `record_size` bytes.
  void Reserve(size_t record_size) {
    if (scratch_size_ < record_size + simdjson::SIMDJSON_PADDING) Grow(record_size);
  }

  // Any value: reads it to its end, checking its contents.
  bool Value(simdjson::ondemand::value value, int depth = 0);

  // A string value: sets *quoted to its raw token (quotes included), reads past it and checks
  // it. Reading past matters: a value only peeked at is skipped later by depth alone, which
  // lets a stray ':' or ']' after it through.
  bool StringValue(simdjson::ondemand::value& value, std::string_view* quoted) {
    std::string_view raw = value.raw_json_token();
    simdjson::ondemand::raw_json_string consumed;
    if (raw.empty() || raw.front() != '"' || value.get_raw_json_string().get(consumed)) {
      return false;
    }
    *quoted = TrimString(raw);
    return String(*quoted);
  }

  // A string's raw token (from its opening quote to its closing quote, which the caller found:
  // stage 1 guarantees it is the token's last quote). Escapes are checked with simdjson's own
  // unescaping, the one DOM uses.
  bool String(std::string_view quoted) {
    if (quoted.size() < 2 ||
        std::char_traits<char>::find(quoted.data() + 1, quoted.size() - 2, '\\') == nullptr) {
      return quoted.size() >= 2;
    }
    return Unescapes(quoted);
  }

  // The key of a field without escapes (escaped keys are left to DOM), or "" with *ok false.
  static std::string_view Key(const simdjson::ondemand::field& field, bool* ok) {
    const char* begin = field.key().raw();
    const char* end = begin;
    while (*end != '"') {
      if (*end == '\\') {
        *ok = false;
        return {};
      }
      ++end;
    }
    *ok = true;
    return std::string_view(begin, static_cast<size_t>(end - begin));
  }

  // A raw token with the whitespace simdjson leaves after it trimmed: a string's ends at its
  // closing quote.
  static std::string_view TrimString(std::string_view raw) {
    while (!raw.empty() && raw.back() != '"') raw.remove_suffix(1);
    return raw;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool Unescapes(std::string_view quoted);
  void Grow(size_t record_size);

  const simdjson::ondemand::parser& parser_;
  std::unique_ptr<uint8_t[]> scratch_;
  size_t scratch_size_ = 0;
};

}  // namespace ec
