// Sender-side credit balance.
#include "runtime/network/credit.h"

#include "absl/time/clock.h"

namespace ec {

void ChannelCredit::GrantCredit(const ChannelId&, int credits) {
  absl::MutexLock lock(&mu_);
  attached_ = true;
  credits_ += credits;
}

absl::Status ChannelCredit::Fail(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (failure_.ok()) failure_ = std::move(status);
  return failure_;
}

absl::Status ChannelCredit::AwaitAttached() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ChannelCredit* c)
           ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return c->attached_ || !c->failure_.ok(); },
      this));
  return failure_;
}

absl::Status ChannelCredit::Take(int64_t* waited_ns) {
  absl::MutexLock lock(&mu_);
  if (credits_ == 0 && failure_.ok()) {
    const absl::Time start = absl::Now();
    waiting_ = true;
    mu_.Await(absl::Condition(
        +[](ChannelCredit* c)
             ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) { return c->credits_ > 0 || !c->failure_.ok(); },
        this));
    waiting_ = false;
    *waited_ns += absl::ToInt64Nanoseconds(absl::Now() - start);
  }
  if (!failure_.ok()) return failure_;
  --credits_;
  return absl::OkStatus();
}

int ChannelCredit::available() const {
  absl::MutexLock lock(&mu_);
  return credits_;
}

bool ChannelCredit::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

}  // namespace ec
