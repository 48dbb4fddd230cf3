// Polling helper for tests of components that work on their own threads.
#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ec::test_support {

// Polls `condition` every 5 ms for up to 10 s; returns its last value.
template <typename F>
bool Eventually(F condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return condition();
}

}  // namespace ec::test_support
