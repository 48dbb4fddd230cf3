// Socket text source with reconnect, backoff and resume.
#include "operators/sources/socket_text_source.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/logging.h"
#include "runtime/util/tcp.h"

namespace ec {
namespace {

constexpr size_t kReadChunk = 256 * 1024;

int PollMillis(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1000));
}

}  // namespace

SocketTextSource::SocketTextSource(Options options)
    : options_(std::move(options)), backoff_(options_.initial_backoff) {}

SocketTextSource::~SocketTextSource() {
  if (fd_ >= 0) close(fd_);
}

absl::Status SocketTextSource::Open(OperatorContext& ctx) {
  ctx_ = &ctx;
  pending_.reserve(2 * kReadChunk);
  return absl::OkStatus();
}

bool SocketTextSource::TryConnect(absl::Time deadline) {
  if (absl::Now() < next_attempt_) return false;
  // Each attempt gets 100 ms to 1 s, whatever is left of this poll.
  const absl::Time now = absl::Now();
  auto fd = DialTcp(options_.host, options_.port,
                    std::clamp(deadline, now + absl::Milliseconds(100), now + absl::Seconds(1)),
                    {.non_blocking = true});
  if (!fd.ok()) {
    ++attempt_;
    Logger("socket-source")
        ->warn("{} cannot connect ({}); retry {} in {}ms", ctx_->task_name, fd.status().message(),
               attempt_, absl::ToInt64Milliseconds(backoff_));
    next_attempt_ = absl::Now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    return false;
  }
  fd_ = *fd;
  if (options_.send_resume && next_seq_ > 0) {
    const std::string resume = absl::StrCat("RESUME ", next_seq_, "\n");
    // A fresh socket's send buffer takes a few bytes at once; a failure shows up as EOF later.
    (void)send(fd_, resume.data(), resume.size(), MSG_NOSIGNAL);
  }
  Logger("socket-source")
      ->info("{} connected to {}:{} at seq {}", ctx_->task_name, options_.host, options_.port,
             next_seq_);
  return true;
}

void SocketTextSource::Disconnect(const std::string& reason) {
  close(fd_);
  fd_ = -1;
  pending_.clear();  // a partial line is re-sent in full after RESUME
  pending_start_ = 0;
  ++attempt_;
  Logger("socket-source")
      ->warn("{} connection to {}:{} ended ({}) at seq {}; retry {} in {}ms", ctx_->task_name,
             options_.host, options_.port, reason, next_seq_, attempt_,
             absl::ToInt64Milliseconds(backoff_));
  next_attempt_ = absl::Now() + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
}

void SocketTextSource::EmitLines(RecordBatch& out) {
  uint64_t lines = 0;
  uint64_t pieces = 0;  // of lines longer than max-line-bytes
  uint64_t bytes = 0;
  while (out.size() < options_.max_batch_records) {
    // The newline is looked for within max-line-bytes only: a line without end is cut there.
    const size_t tail = pending_.size() - pending_start_;
    const size_t window = std::min(tail, options_.max_line_bytes + 1);
    const char* begin = pending_.data() + pending_start_;
    const char* newline = static_cast<const char*>(std::memchr(begin, '\n', window));
    if (newline != nullptr) {
      size_t end = static_cast<size_t>(newline - begin);
      const size_t consumed = end + 1;
      if (end > 0 && begin[end - 1] == '\r') --end;
      out.Append(std::string_view(begin, end));
      bytes += consumed;
      pending_start_ += consumed;
      ++lines;
    } else if (tail > options_.max_line_bytes) {
      out.Append(std::string_view(begin, options_.max_line_bytes));
      bytes += options_.max_line_bytes;
      pending_start_ += options_.max_line_bytes;
      ++pieces;
    } else {
      break;
    }
  }
  if (pieces > 0) {
    Logger("task")->warn("{} line {} is longer than max-line-bytes ({}): passed on in pieces",
                         ctx_->task_name, next_seq_ + lines, options_.max_line_bytes);
  }
  if (lines + pieces > 0) {
    next_seq_ += lines;
    // Data flowed: the next outage starts its backoff from the beginning again.
    backoff_ = options_.initial_backoff;
    attempt_ = 0;
    if (ctx_->counters) ctx_->counters->AddIn(lines + pieces, bytes);
  }
  if (pending_start_ == pending_.size()) {
    pending_.clear();
    pending_start_ = 0;
  } else if (pending_start_ > kReadChunk) {
    pending_.erase(0, pending_start_);
    pending_start_ = 0;
  }
}

absl::Status SocketTextSource::PollBatch(RecordBatch& out, absl::Duration max_wait) {
  const absl::Time deadline = absl::Now() + max_wait;
  EmitLines(out);  // lines left from the previous read
  if (out.size() >= options_.max_batch_records) return absl::OkStatus();
  if (fd_ < 0 && !TryConnect(deadline)) {
    absl::Time wake = std::min(deadline, next_attempt_);
    if (wake > absl::Now()) absl::SleepFor(wake - absl::Now());
    return absl::OkStatus();
  }
  bool waited = false;
  while (out.size() < options_.max_batch_records) {
    size_t old_size = pending_.size();
    pending_.resize(old_size + kReadChunk);
    ssize_t n = recv(fd_, pending_.data() + old_size, kReadChunk, 0);
    pending_.resize(old_size + std::max<ssize_t>(n, 0));
    if (n > 0) {
      EmitLines(out);
      continue;
    }
    if (n == 0) {
      EmitLines(out);
      Disconnect("closed by peer");
      return absl::OkStatus();
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      Disconnect(std::strerror(errno));
      return absl::OkStatus();
    }
    if (!out.empty() || waited) break;
    pollfd pfd{fd_, POLLIN, 0};
    poll(&pfd, 1, PollMillis(deadline));
    waited = true;
  }
  return absl::OkStatus();
}

absl::Status SocketTextSource::SnapshotState(int64_t, std::string* state) {
  *state = std::to_string(next_seq_);
  return absl::OkStatus();
}

absl::Status SocketTextSource::RestoreState(std::string_view state) {
  uint64_t seq = 0;
  if (!absl::SimpleAtoi(absl::string_view(state.data(), state.size()), &seq)) {
    return absl::InvalidArgumentError(absl::StrCat("socket-source: checkpoint state '",
                                                   absl::string_view(state.data(), state.size()),
                                                   "' is not a sequence number"));
  }
  next_seq_ = seq;
  return absl::OkStatus();
}

absl::Status SocketTextSource::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  return absl::OkStatus();
}

}  // namespace ec
