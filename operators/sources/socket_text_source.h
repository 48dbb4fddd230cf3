// Socket text source: reads newline-delimited records from a TCP server, like Flink's
// socketTextStream, but reconnects with capped exponential backoff and resumes by sequence.
#pragma once

#include <string>

#include "operators/operator.h"

namespace ec {

// Connects to host:port and emits one record per line. When the connection fails or ends, it
// retries with exponential backoff (initial-backoff doubling up to max-backoff, one log line per
// step) while the job stays RUNNING. It counts the lines it received; on reconnecting after at
// least one line it sends "RESUME <seq>" so a resuming producer continues where it stopped.
// Owned and called by one task thread.
class SocketTextSource : public SourceOperator {
 public:
  struct Options {
    std::string host;
    int port = 9999;
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    bool send_resume = true;
    size_t max_batch_records = 4096;
    // A line longer than this (a peer that never sends '\n') is passed on in pieces of this
    // size, cut from its start, each a record a parser dead-letters: memory stays bounded and
    // nothing is dropped. The pieces count as one line for RESUME.
    size_t max_line_bytes = size_t{1} << 20;
  };

  explicit SocketTextSource(Options options);
  ~SocketTextSource() override;

  absl::Status Open(OperatorContext& ctx) override;
  absl::Status PollBatch(RecordBatch& out, absl::Duration max_wait) override;
  absl::Status Close() override;
  // The state is the next sequence number: after a restore the first connection sends RESUME.
  absl::Status SnapshotState(int64_t checkpoint_id, std::string* state) override;
  absl::Status RestoreState(std::string_view state) override;

  // The sequence number of the next line expected: lines received so far plus the resume point.
  uint64_t next_seq() const { return next_seq_; }

 private:
  // Tries one connection attempt unless the backoff has not elapsed. Returns true if connected.
  bool TryConnect(absl::Time deadline);
  void Disconnect(const std::string& reason);
  // Moves complete lines from pending_ into `out`.
  void EmitLines(RecordBatch& out);

  Options options_;
  int fd_ = -1;
  uint64_t next_seq_ = 0;
  int attempt_ = 0;
  absl::Duration backoff_;
  absl::Time next_attempt_ = absl::InfinitePast();
  std::string pending_;  // bytes received, not yet split into lines
  size_t pending_start_ = 0;
};

}  // namespace ec
