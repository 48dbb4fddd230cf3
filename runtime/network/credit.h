// Credit-based flow control, sender side: the credits a consumer granted one producer channel.
//
// As in Flink's network stack, the consumer grants each channel credits, one per receive
// buffer it has set aside (exclusive buffers per channel, plus floating buffers the gate lends
// to busy channels); a producer sends a batch only against a credit and otherwise waits. The
// consumer therefore always has room for whatever arrives, which is what lets many channels
// share one TCP connection: the receiving side never stops reading the socket, and a slow
// consumer stalls only its own channels' producers. Events (barriers, watermarks, end of
// stream) need no credit: they are tiny and few, and must not wait behind data.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "runtime/network/channel_id.h"

namespace ec {

// Where a consumer's input channel sends the credits it grants: a TCP connection (a CREDIT
// frame) or, for a producer in the same process, the producer's ChannelCredit directly.
// Implementations are thread-safe and never block for long.
class CreditSink {
 public:
  virtual ~CreditSink() = default;
  virtual void GrantCredit(const ChannelId& channel, int credits) = 0;
};

// The producer end's credit balance of one channel. Credits are granted from network or
// consumer threads and taken by the producer's task thread, which blocks while it has none:
// that wait is back-pressure. Thread-safe.
class ChannelCredit : public CreditSink {
 public:
  void GrantCredit(const ChannelId& channel, int credits) override;
  // Ends every wait, now and later, with `status` (first failure wins); returns the failure
  // that won, which every later call reports.
  absl::Status Fail(absl::Status status);

  // Blocks until the consumer has granted the channel's first credits: before that the
  // consumer has not attached and would drop what is sent. Returns the failure if any.
  absl::Status AwaitAttached();
  // Blocks until a credit is available and takes it; adds the nanoseconds waited to
  // `*waited_ns`. Returns the failure (the channel's or Cancelled) instead.
  absl::Status Take(int64_t* waited_ns);

  int available() const;
  bool waiting() const;  // true while the producer is blocked in Take: back-pressured now

 private:
  mutable absl::Mutex mu_;
  bool attached_ ABSL_GUARDED_BY(mu_) = false;
  int credits_ ABSL_GUARDED_BY(mu_) = 0;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
