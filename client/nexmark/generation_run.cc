// The generation loop, one template over the two sinks so the per-record path has no virtual
// call: events are formatted straight into the sink's block.
#include "client/nexmark/generation_run.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/producer/send_pacer.h"

namespace ec::nexmark {
namespace {

using Clock = std::chrono::steady_clock;

// NDJSON into a file descriptor through one 1 MiB buffer.
class FdSink {
 public:
  static constexpr size_t kBufferBytes = size_t{1} << 20;

  explicit FdSink(int fd) : fd_(fd), buffer_(new char[kBufferBytes]) {}

  // Where the next event goes; room for NexmarkGenerator::kMaxEventBytes plus the newline.
  absl::StatusOr<char*> Begin() {
    if (used_ + NexmarkGenerator::kMaxEventBytes + 1 > kBufferBytes) {
      if (absl::Status s = Flush(); !s.ok()) return s;
    }
    return buffer_.get() + used_;
  }

  absl::Status Commit(uint64_t /*n*/, char* end) {
    *end++ = '\n';
    used_ = static_cast<size_t>(end - buffer_.get());
    return absl::OkStatus();
  }

  // After a paced batch, so readers see events when they are due.
  absl::Status EndBatch() { return Flush(); }
  absl::Status Finish() { return Flush(); }

 private:
  absl::Status Flush() {
    const char* data = buffer_.get();
    size_t left = used_;
    while (left > 0) {
      const ssize_t written = write(fd_, data, left);
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) {
        return absl::UnavailableError(absl::StrCat(fd_ == STDOUT_FILENO ? "stdout" : "output",
                                                   ": ", std::strerror(errno)));
      }
      data += written;
      left -= static_cast<size_t>(written);
    }
    used_ = 0;
    return absl::OkStatus();
  }

  const int fd_;
  std::unique_ptr<char[]> buffer_;
  size_t used_ = 0;
};

// One record per event. Events are formatted into a 1 MiB block and handed to librdkafka (which
// copies them) one batch per partition when the block is full: event n goes to n % partitions.
class KafkaSink {
 public:
  static constexpr size_t kBlockBytes = size_t{1} << 20;

  explicit KafkaSink(KafkaEventWriter& writer)
      : writer_(writer),
        partitions_(static_cast<uint64_t>(writer.partition_count())),
        block_(new char[kBlockBytes]),
        batches_(partitions_) {}

  absl::StatusOr<char*> Begin() {
    if (used_ + NexmarkGenerator::kMaxEventBytes > kBlockBytes) {
      if (absl::Status s = Flush(); !s.ok()) return s;
    }
    return block_.get() + used_;
  }

  absl::Status Commit(uint64_t n, char* end) {
    char* const start = block_.get() + used_;
    batches_[n % partitions_].emplace_back(start, static_cast<size_t>(end - start));
    used_ = static_cast<size_t>(end - block_.get());
    return absl::OkStatus();
  }

  absl::Status EndBatch() { return Flush(); }

  absl::Status Finish() {
    if (absl::Status s = Flush(); !s.ok()) return s;
    return writer_.Finish();
  }

 private:
  absl::Status Flush() {
    for (size_t p = 0; p < batches_.size(); ++p) {
      if (absl::Status s = writer_.WriteBatch(static_cast<int32_t>(p), batches_[p]); !s.ok()) {
        return s;
      }
      batches_[p].clear();
    }
    used_ = 0;
    return absl::OkStatus();
  }

  KafkaEventWriter& writer_;
  const uint64_t partitions_;
  std::unique_ptr<char[]> block_;
  size_t used_ = 0;
  std::vector<std::vector<std::string_view>> batches_;  // per partition, into block_
};

template <typename Sink>
absl::Status WriteRange(NexmarkGenerator& generator, uint64_t first, uint64_t count, Sink& sink) {
  for (uint64_t n = first; n < first + count; ++n) {
    absl::StatusOr<char*> out = sink.Begin();
    if (!out.ok()) return out.status();
    if (absl::Status s = sink.Commit(n, generator.WriteEvent(n, *out)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename Sink>
absl::StatusOr<RunSummary> Run(NexmarkGenerator& generator, const RunOptions& options,
                               Sink& sink) {
  const Clock::time_point start = Clock::now();
  const uint64_t end = options.first_event + options.count;
  if (options.rate <= 0) {
    if (absl::Status s = WriteRange(generator, options.first_event, options.count, sink); !s.ok()) {
      return s;
    }
  } else {
    ec::producer::SendPacer pacer(options.rate, start);
    for (uint64_t n = options.first_event; n < end;) {
      const Clock::time_point now = Clock::now();
      const uint64_t batch = std::min(pacer.Due(now), end - n);
      if (batch == 0) {
        std::this_thread::sleep_until(pacer.NextWake(now));
        continue;
      }
      if (absl::Status s = WriteRange(generator, n, batch, sink); !s.ok()) return s;
      if (absl::Status s = sink.EndBatch(); !s.ok()) return s;
      pacer.OnSent(batch);
      n += batch;
    }
  }
  if (absl::Status s = sink.Finish(); !s.ok()) return s;
  return RunSummary{options.count, std::chrono::duration<double>(Clock::now() - start).count()};
}

}  // namespace

absl::StatusOr<RunSummary> GenerateToFd(NexmarkGenerator& generator, const RunOptions& options,
                                        int fd) {
  FdSink sink(fd);
  return Run(generator, options, sink);
}

absl::StatusOr<RunSummary> GenerateToKafka(NexmarkGenerator& generator, const RunOptions& options,
                                           KafkaEventWriter& writer) {
  KafkaSink sink(writer);
  return Run(generator, options, sink);
}

}  // namespace ec::nexmark
