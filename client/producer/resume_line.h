// The resume handshake of the event stream: a client's optional first line "RESUME <seq>\n".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ec::producer {

// Longest RESUME line accepted ("RESUME " and 20 digits fit with room for extra spaces).
inline constexpr size_t kMaxResumeLineBytes = 64;

struct ResumeParse {
  enum class State {
    kIncomplete,  // a prefix of a RESUME line: wait for more bytes
    kResume,      // a complete line: stream from `seq`
    kNotResume,   // anything else: the client is not resuming
  };
  State state = State::kIncomplete;
  uint64_t seq = 0;       // with kResume
  size_t line_bytes = 0;  // with kResume: bytes of the line, '\n' included
};

// Parses the bytes a client sent first. Grammar: "RESUME", one or more spaces, a decimal seq
// that fits in 64 bits, an optional '\r', '\n'.
ResumeParse ParseResumeLine(std::string_view bytes);

// The line a client sends to resume at `seq`.
std::string FormatResumeLine(uint64_t seq);

}  // namespace ec::producer
