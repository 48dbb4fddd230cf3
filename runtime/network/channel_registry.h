// ChannelRegistry: where the producer and consumer ends of a channel find each other.
#pragma once

#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "runtime/network/channel_id.h"
#include "runtime/network/credit.h"
#include "runtime/network/receive_queues.h"

namespace ec {

// The consumer end of a channel: a gate's queues and the channel's index in them.
struct ChannelReceiver {
  std::shared_ptr<ReceiveQueues> queues;
  int index = -1;
};

// One per process (a DataServer owns it). Input gates register their channels' receivers;
// producers register as senders, over a connection (the DataServer does it on an OPEN frame)
// or in process (a local output channel). Either may come first: tasks are deployed in any
// order. When both are known the receiver attaches the sender and grants it its first
// credits. Thread-safe; attaching happens outside the registry's lock.

class ChannelRegistry {
 public:
  // AlreadyExists if another gate registered `id`.
  absl::Status AddReceiver(const ChannelId& id, ChannelReceiver receiver);
  void RemoveReceiver(const ChannelId& id);

  // AlreadyExists if another producer holds `id`. Ids carry the job's attempt, so a restarted
  // job's channels never meet the old attempt's stragglers.
  absl::Status AddSender(const ChannelId& id, std::shared_ptr<CreditSink> sender);
  // Forgets `sender` as the producer of `id`. A non-OK `reason` (its connection broke) fails
  // the receiver's channel unless it already got END_OF_STREAM.
  void RemoveSender(const ChannelId& id, const CreditSink* sender, const absl::Status& reason);

  std::optional<ChannelReceiver> FindReceiver(const ChannelId& id) const;

 private:
  struct Entry {
    ChannelReceiver receiver;
    std::shared_ptr<CreditSink> sender;
  };
  void EraseIfEmpty(const ChannelId& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<ChannelId, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
