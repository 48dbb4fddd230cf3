// Fuzzes the producer's RESUME handshake: whatever a client sends first, ParseResumeLine says
// wait, resume at a seq, or not a resume line; a line it accepts formats back to a line that
// parses to the same seq, and it never claims more bytes than it was given.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "client/producer/resume_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ec::producer::ResumeParse;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const ResumeParse parsed = ec::producer::ParseResumeLine(bytes);
  if (parsed.state == ResumeParse::State::kResume) {
    if (parsed.line_bytes == 0 || parsed.line_bytes > bytes.size() ||
        parsed.line_bytes > ec::producer::kMaxResumeLineBytes ||
        bytes[parsed.line_bytes - 1] != '\n') {
      __builtin_trap();
    }
    const ResumeParse again = ec::producer::ParseResumeLine(ec::producer::FormatResumeLine(parsed.seq));
    if (again.state != ResumeParse::State::kResume || again.seq != parsed.seq) __builtin_trap();
  } else if (parsed.state == ResumeParse::State::kIncomplete &&
             bytes.size() > ec::producer::kMaxResumeLineBytes) {
    __builtin_trap();  // a client must not keep the producer waiting with an endless line
  }
  return 0;
}
