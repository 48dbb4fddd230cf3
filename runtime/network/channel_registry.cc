// Matching producers with consumers.
#include "runtime/network/channel_registry.h"

#include "absl/strings/str_cat.h"

namespace ec {

absl::Status ChannelRegistry::AddReceiver(const ChannelId& id, ChannelReceiver receiver) {
  std::shared_ptr<CreditSink> sender;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[id];
    if (entry.receiver.queues) {
      return absl::AlreadyExistsError(absl::StrCat(id.ToString(), " already has a consumer"));
    }
    entry.receiver = receiver;
    sender = entry.sender;
  }
  if (sender) receiver.queues->Attach(receiver.index, std::move(sender));
  return absl::OkStatus();
}

void ChannelRegistry::RemoveReceiver(const ChannelId& id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.receiver = {};
  EraseIfEmpty(id);
}

absl::Status ChannelRegistry::AddSender(const ChannelId& id, std::shared_ptr<CreditSink> sender) {
  ChannelReceiver receiver;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[id];
    if (entry.sender) {
      return absl::AlreadyExistsError(absl::StrCat(id.ToString(), " already has a producer"));
    }
    entry.sender = sender;
    receiver = entry.receiver;
  }
  if (receiver.queues) receiver.queues->Attach(receiver.index, std::move(sender));
  return absl::OkStatus();
}

void ChannelRegistry::RemoveSender(const ChannelId& id, const CreditSink* sender,
                                   const absl::Status& reason) {
  ChannelReceiver receiver;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.sender.get() != sender) return;
    it->second.sender.reset();
    receiver = it->second.receiver;
    EraseIfEmpty(id);
  }
  if (!reason.ok() && receiver.queues) receiver.queues->Fail(receiver.index, reason);
}

std::optional<ChannelReceiver> ChannelRegistry::FindReceiver(const ChannelId& id) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.receiver.queues) return std::nullopt;
  return it->second.receiver;
}

void ChannelRegistry::EraseIfEmpty(const ChannelId& id) {
  auto it = entries_.find(id);
  if (it != entries_.end() && !it->second.receiver.queues && !it->second.sender) {
    entries_.erase(it);
  }
}

}  // namespace ec
