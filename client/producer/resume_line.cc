// Parsing of the RESUME handshake line, incremental so the server can stop waiting as soon as
// the bytes cannot be one.
#include "client/producer/resume_line.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ec::producer {

ResumeParse ParseResumeLine(std::string_view bytes) {
  using State = ResumeParse::State;
  constexpr std::string_view kKeyword = "RESUME ";
  const size_t head = std::min(bytes.size(), kKeyword.size());
  if (bytes.substr(0, head) != kKeyword.substr(0, head)) return {State::kNotResume};
  // Any prefix too long to become a line is not one.
  const State more = bytes.size() >= kMaxResumeLineBytes ? State::kNotResume : State::kIncomplete;
  if (bytes.size() == head) return {more};

  size_t i = kKeyword.size();
  while (i < bytes.size() && bytes[i] == ' ') ++i;
  const size_t digits = i;
  uint64_t seq = 0;
  for (; i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '9'; ++i) {
    const auto digit = static_cast<uint64_t>(bytes[i] - '0');
    if (seq > (UINT64_MAX - digit) / 10) return {State::kNotResume};
    seq = seq * 10 + digit;
  }
  if (i == bytes.size()) return {more};
  if (i == digits) return {State::kNotResume};
  if (bytes[i] == '\r' && ++i == bytes.size()) return {more};
  if (bytes[i] != '\n' || i + 1 > kMaxResumeLineBytes) return {State::kNotResume};
  return {State::kResume, seq, i + 1};
}

std::string FormatResumeLine(uint64_t seq) { return absl::StrCat("RESUME ", seq, "\n"); }

}  // namespace ec::producer
