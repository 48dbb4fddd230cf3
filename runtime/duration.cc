// Duration parsing for job files and flags.
#include "runtime/duration.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ec {

absl::StatusOr<absl::Duration> ParseDuration(std::string_view std_text) {
  // Debian's abseil has its own string_view type.
  absl::string_view text(std_text.data(), std_text.size());
  int64_t ms = 0;
  if (absl::SimpleAtoi(text, &ms) && ms >= 0) return absl::Milliseconds(ms);
  absl::Duration d;
  if (absl::ParseDuration(text, &d) && d >= absl::ZeroDuration()) return d;
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a duration (expected e.g. 500ms, 1s, 2m)"));
}

}  // namespace ec
