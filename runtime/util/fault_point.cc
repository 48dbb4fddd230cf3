// EC_FAULT_POINT: parsing, arming and the reach counter.
#include "runtime/util/fault_point.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ec {
namespace {

// Set once by ArmFaultPoint before other threads run (or in a test before it reaches a
// point); read after `armed` is seen true.
std::atomic<bool> armed{false};
std::string armed_name;
int64_t armed_reach = 1;
std::atomic<int64_t> reaches{0};

// This abseil's StrCat takes absl::string_view, which need not be std::string_view.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string JoinNames(FaultProcess process) {
  std::string joined;
  for (std::string_view name : FaultPointNames(process)) {
    absl::StrAppend(&joined, joined.empty() ? "" : ", ", View(name));
  }
  return joined;
}

[[maybe_unused]] bool IsKnownPoint(std::string_view name) {
  for (FaultProcess p : {FaultProcess::kTaskManager, FaultProcess::kJobManager}) {
    const auto& names = FaultPointNames(p);
    if (std::find(names.begin(), names.end(), name) != names.end()) return true;
  }
  return false;
}

absl::Status Invalid(FaultProcess process, std::string_view value, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(kFaultPointVariable, "=", View(value), ": ", View(why),
                   "; expected NAME[:N] with N >= 1 and NAME one of ", JoinNames(process), " (",
                   process == FaultProcess::kTaskManager ? "TaskManager" : "JobManager", ")"));
}

}  // namespace

const std::vector<std::string_view>& FaultPointNames(FaultProcess process) {
  static const std::vector<std::string_view> kTaskManager = {
      "after-snapshot-before-ack", "after-complete-before-commit", "between-subtask-commits",
      "during-recovery-commit", "during-lingering-abort"};
  static const std::vector<std::string_view> kJobManager = {"after-complete-before-notify"};
  return process == FaultProcess::kTaskManager ? kTaskManager : kJobManager;
}

absl::StatusOr<FaultPointSetting> ParseFaultPoint(FaultProcess process, std::string_view value) {
  FaultPointSetting setting;
  std::string_view name = value;
  if (const size_t colon = value.find(':'); colon != std::string_view::npos) {
    name = value.substr(0, colon);
    const std::string_view count = value.substr(colon + 1);
    if (!absl::SimpleAtoi(View(count), &setting.reach) || setting.reach < 1) {
      return Invalid(process, value, absl::StrCat("bad count '", View(count), "'"));
    }
  }
  const auto& names = FaultPointNames(process);
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return Invalid(process, value, absl::StrCat("unknown fault point '", View(name), "'"));
  }
  setting.name = std::string(name);
  return setting;
}

absl::Status InitFaultPoints(FaultProcess process) {
  const char* value = std::getenv(kFaultPointVariable);
  if (value == nullptr || *value == '\0') return absl::OkStatus();
  auto setting = ParseFaultPoint(process, value);
  if (!setting.ok()) return setting.status();
  ArmFaultPoint(*setting);
  return absl::OkStatus();
}

void ArmFaultPoint(const FaultPointSetting& setting) {
  armed_name = setting.name;
  armed_reach = setting.reach;
  reaches.store(0, std::memory_order_relaxed);
  armed.store(true, std::memory_order_release);
}

void ReachFaultPoint(std::string_view name) {
  assert(IsKnownPoint(name) && "ReachFaultPoint: not a fault point name");
  if (!armed.load(std::memory_order_relaxed)) return;
  std::atomic_thread_fence(std::memory_order_acquire);
  if (name != armed_name) return;
  const int64_t n = reaches.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n != armed_reach) return;
  // One unbuffered line, then the end SIGKILL gives: nothing flushed, nothing destroyed.
  const std::string line =
      absl::StrCat("fault point ", View(name), " reached (", n, "): killing the process\n");
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, line.data(), line.size());
  kill(getpid(), SIGKILL);
  _exit(137);  // not reached
}

}  // namespace ec
