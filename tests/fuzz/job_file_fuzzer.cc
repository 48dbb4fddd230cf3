// Fuzzes the job file: parse (JSON, ${parameter} substitution, types) and validate (every
// operator's fields, the job graph). Any input must end in a job or a one-line error, never a
// crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "operators/registry.h"
#include "runtime/job_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = ec::ParseJobSpec(text, {{"port", "9999"}, {"kafka-topic", "events_x"}});
  if (!spec.ok()) {
    // An error is one line: it goes to ecctl's stderr and the REST body as it is.
    if (spec.status().message().find('\n') != std::string_view::npos) __builtin_trap();
    return 0;
  }
  (void)ec::ValidateJob(*spec);
  return 0;
}
