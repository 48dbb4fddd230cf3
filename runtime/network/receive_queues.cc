// Receive queues and credit accounting of one input gate.
#include "runtime/network/receive_queues.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ec {

ReceiveQueues::ReceiveQueues(std::vector<ChannelId> channels, CreditOptions options)
    : ids_(std::move(channels)),
      options_(options),
      channels_(ids_.size()),
      floating_free_(options.floating_per_gate) {}

void ReceiveQueues::Attach(int channel, std::shared_ptr<CreditSink> sender) {
  {
    absl::MutexLock lock(&mu_);
    Channel& c = channels_[channel];
    // A channel that ended or a gate that failed takes no new producer: the next attempt's
    // producer waits for the next attempt's gate.
    if (closed_ || c.end_of_stream || !failure_.ok()) return;
    c.sender = sender;
    c.credit = options_.exclusive_per_channel;
  }
  sender->GrantCredit(ids_[channel], options_.exclusive_per_channel);
}

absl::StatusOr<std::unique_ptr<RecordBatch>> ReceiveQueues::TakeBuffer(int channel) {
  Grants grants;
  std::unique_ptr<RecordBatch> buffer;
  {
    absl::MutexLock lock(&mu_);
    Channel& c = channels_[channel];
    if (!closed_) {
      if (c.credit <= 0) {
        return absl::DataLossError(
            absl::StrCat("protocol error: DATA without credit on ", ids_[channel].ToString()));
      }
      --c.credit;
      ++c.held;
      if (c.credit == 0 && floating_free_ > 0 && !c.blocked && !c.end_of_stream) {
        --floating_free_;
        ++c.borrowed;
        ++c.credit;
        grants.push_back({c.sender, channel});
      }
    }
    if (free_.empty()) {
      buffer = std::make_unique<RecordBatch>();
      ++allocated_;
    } else {
      buffer = std::move(free_.back());
      free_.pop_back();
    }
  }
  SendGrants(grants);
  return buffer;
}

void ReceiveQueues::PushData(int channel, std::unique_ptr<RecordBatch> batch) {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    batch->Clear();
    free_.push_back(std::move(batch));
    return;
  }
  ++buffered_batches_;
  buffered_bytes_ += batch->bytes();
  max_buffered_batches_ = std::max(max_buffered_batches_, buffered_batches_);
  channels_[channel].queue.push_back({FrameKind::kData, 0, std::move(batch)});
  arrived_.Signal();
}

void ReceiveQueues::PushEvent(int channel, FrameKind kind, int64_t value) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  Channel& c = channels_[channel];
  if (kind == FrameKind::kEndOfStream) c.end_of_stream = true;
  if (kind == FrameKind::kWatermark && !c.queue.empty() &&
      c.queue.back().kind == FrameKind::kWatermark) {
    c.queue.back().value = std::max(c.queue.back().value, value);
    return;
  }
  c.queue.push_back({kind, value, nullptr});
  arrived_.Signal();
}

void ReceiveQueues::Fail(int channel, const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (channels_[channel].end_of_stream || !failure_.ok()) return;
  failure_ = status;
  arrived_.Signal();
}

void ReceiveQueues::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (Channel& c : channels_) {
    c.queue.clear();
    c.sender.reset();
  }
  buffered_batches_ = 0;
  buffered_bytes_ = 0;
  arrived_.SignalAll();
}

absl::StatusOr<bool> ReceiveQueues::Next(absl::Time deadline, int* channel, Received* entry) {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (!failure_.ok()) return failure_;
    if (closed_) return absl::CancelledError("input gate closed");
    const size_t n = channels_.size();
    for (size_t i = 0; i < n; ++i) {
      const size_t index = (next_ + i) % n;
      Channel& c = channels_[index];
      if (c.blocked || c.queue.empty()) continue;
      *entry = std::move(c.queue.front());
      c.queue.pop_front();
      if (entry->kind == FrameKind::kData) {
        --buffered_batches_;
        buffered_bytes_ -= entry->batch->bytes();
      }
      *channel = static_cast<int>(index);
      next_ = index + 1;
      return true;
    }
    if (arrived_.WaitWithDeadline(&mu_, deadline)) return false;
  }
}

void ReceiveQueues::Recycle(int channel, std::unique_ptr<RecordBatch> batch) {
  Grants grants;
  {
    absl::MutexLock lock(&mu_);
    batch->Clear();
    free_.push_back(std::move(batch));
    if (closed_) return;
    Channel& c = channels_[channel];
    --c.held;
    if (c.borrowed > 0) {
      --c.borrowed;
      ++floating_free_;
      LendFloating(grants);
    } else if (!c.end_of_stream && c.sender) {
      ++c.credit;
      grants.push_back({c.sender, channel});
    }
  }
  SendGrants(grants);
}

void ReceiveQueues::SetBlocked(int channel, bool blocked) {
  absl::MutexLock lock(&mu_);
  channels_[channel].blocked = blocked;
}

void ReceiveQueues::LendFloating(Grants& grants) {
  const size_t n = channels_.size();
  for (size_t i = 0; i < n && floating_free_ > 0; ++i) {
    Channel& c = channels_[(next_ + i) % n];
    if (!Starving(c) || c.blocked) continue;
    --floating_free_;
    ++c.borrowed;
    ++c.credit;
    grants.push_back({c.sender, static_cast<int>((next_ + i) % n)});
  }
}

void ReceiveQueues::SendGrants(const Grants& grants) {
  for (const Grant& g : grants) g.sink->GrantCredit(ids_[g.channel], 1);
}

size_t ReceiveQueues::buffered_batches() const {
  absl::MutexLock lock(&mu_);
  return buffered_batches_;
}

size_t ReceiveQueues::buffered_bytes() const {
  absl::MutexLock lock(&mu_);
  return buffered_bytes_;
}

size_t ReceiveQueues::max_buffered_batches() const {
  absl::MutexLock lock(&mu_);
  return max_buffered_batches_;
}

size_t ReceiveQueues::allocated_buffers() const {
  absl::MutexLock lock(&mu_);
  return allocated_;
}

}  // namespace ec
