// One connection's stream. Rate 0 fills a 64 KiB buffer per send; paced streams send each
// tick's events in one write.
#include "client/producer/client_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "client/producer/producer_logger.h"
#include "client/producer/resume_line.h"
#include "client/producer/send_pacer.h"

namespace ec::producer {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunkBytes = 64 * 1024;
constexpr size_t kBufferBytes = kChunkBytes + EventGenerator::kMaxLineBytes;
constexpr auto kResumeWait = std::chrono::milliseconds(100);
constexpr auto kCloseDrainWait = std::chrono::seconds(1);

timespec ToTimespec(Clock::duration d) {
  if (d < Clock::duration::zero()) d = Clock::duration::zero();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

const char* EndName(ClientStream::End end) {
  switch (end) {
    case ClientStream::End::kCountReached:
      return "count reached";
    case ClientStream::End::kPeerClosed:
      return "client closed";
    case ClientStream::End::kWriteError:
      return "write error";
    case ClientStream::End::kStopping:
      return "server stopping";
  }
  return "?";
}

}  // namespace

ClientStream::ClientStream(int fd, std::string peer, const StreamConfig& config,
                           const std::atomic<bool>& stopping)
    : fd_(fd),
      peer_(std::move(peer)),
      config_(config),
      stopping_(stopping),
      generator_(config.seed, config.generator),
      buffer_(new char[kBufferBytes]) {}

void ClientStream::Run() {
  const uint64_t start_seq = ReadResume();
  const uint64_t end_seq = config_.count > 0 ? config_.count : std::numeric_limits<uint64_t>::max();
  ProducerLogger().info("client {} connected: streaming from seq {}", peer_, start_seq);
  next_seq_ = start_seq;
  End end = End::kCountReached;
  if (start_seq < end_seq) end = config_.rate > 0 ? StreamPaced(end_seq) : StreamFast(end_seq);
  if (end == End::kWriteError) {
    ProducerLogger().warn("client {}: send failed: {}", peer_, std::strerror(last_error_));
  }
  ShutdownGracefully();
  ProducerLogger().info("client {} disconnected ({}): {} events sent, next seq {}", peer_,
                        EndName(end), next_seq_ - start_seq, next_seq_);
}

uint64_t ClientStream::ReadResume() {
  char line[kMaxResumeLineBytes];
  size_t size = 0;
  const auto deadline = Clock::now() + kResumeWait;
  while (size < sizeof(line)) {
    pollfd pfd{fd_, POLLIN, 0};
    const timespec timeout = ToTimespec(deadline - Clock::now());
    const int ready = ppoll(&pfd, 1, &timeout, nullptr);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const ssize_t got = recv(fd_, line + size, sizeof(line) - size, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      input_closed_ = got == 0;
      break;
    }
    size += static_cast<size_t>(got);
    const ResumeParse parse = ParseResumeLine(std::string_view(line, size));
    if (parse.state == ResumeParse::State::kResume) return parse.seq;
    if (parse.state == ResumeParse::State::kNotResume) {
      ProducerLogger().warn("client {}: first bytes are not a RESUME line; streaming from 0",
                            peer_);
      return 0;
    }
  }
  if (size > 0) {
    ProducerLogger().warn("client {}: incomplete RESUME line; streaming from 0", peer_);
  }
  return 0;
}

ClientStream::End ClientStream::StreamFast(uint64_t end_seq) {
  char* const buffer = buffer_.get();
  while (next_seq_ < end_seq) {
    if (stopping_.load(std::memory_order_relaxed)) return End::kStopping;
    const uint64_t chunk_start = next_seq_;
    const int64_t now_ms = EventGenerator::WallClockMillis();
    size_t used = 0;
    while (used < kChunkBytes && next_seq_ < end_seq) {
      used += generator_.WriteLine(next_seq_, now_ms, buffer + used);
      ++next_seq_;
    }
    if (const int error = SendAll(buffer, used); error != 0) {
      // The chunk did not go out whole: count none of it as sent.
      next_seq_ = chunk_start;
      return EndForError(error);
    }
  }
  return End::kCountReached;
}

ClientStream::End ClientStream::StreamPaced(uint64_t end_seq) {
  char* const buffer = buffer_.get();
  SendPacer pacer(config_.rate, Clock::now());
  while (next_seq_ < end_seq) {
    if (stopping_.load(std::memory_order_relaxed)) return End::kStopping;
    const Clock::time_point now = Clock::now();
    uint64_t due = std::min(pacer.Due(now), end_seq - next_seq_);
    if (due == 0) {
      if (!WaitUntil(pacer.NextWake(now))) {
        return stopping_.load() ? End::kStopping : End::kPeerClosed;
      }
      continue;
    }
    pacer.OnSent(due);
    while (due > 0) {
      const uint64_t chunk_start = next_seq_;
      const int64_t now_ms = EventGenerator::WallClockMillis();
      size_t used = 0;
      for (; due > 0 && used < kChunkBytes; --due, ++next_seq_) {
        used += generator_.WriteLine(next_seq_, now_ms, buffer + used);
      }
      if (const int error = SendAll(buffer, used); error != 0) {
        next_seq_ = chunk_start;
        return EndForError(error);
      }
    }
  }
  return End::kCountReached;
}

int ClientStream::SendAll(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t sent = send(fd_, data, size, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return 0;
}

bool ClientStream::WaitUntil(Clock::time_point deadline) {
  char scratch[4096];
  while (true) {
    // With input open, watch for data and hang-ups; after a half-close only hang-ups, which
    // poll reports whatever the events asked for.
    pollfd pfd{fd_, static_cast<short>(input_closed_ ? 0 : (POLLIN | POLLRDHUP)), 0};
    const timespec timeout = ToTimespec(deadline - Clock::now());
    const int ready = ppoll(&pfd, 1, &timeout, nullptr);
    if (stopping_.load(std::memory_order_relaxed)) return false;
    if (ready == 0) return true;
    if (ready < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) return false;
    if (pfd.revents & (POLLIN | POLLRDHUP)) {
      const ssize_t got = recv(fd_, scratch, sizeof(scratch), MSG_DONTWAIT);
      if (got == 0) input_closed_ = true;
      if (got < 0 && errno != EAGAIN && errno != EINTR) return false;
    }
  }
}

void ClientStream::ShutdownGracefully() {
  if (shutdown(fd_, SHUT_WR) != 0 || input_closed_) return;
  // Closing with unread input would reset the connection and could drop the tail of the
  // stream in the client's receive buffer: read until the client closes, briefly.
  char scratch[4096];
  const auto deadline = Clock::now() + kCloseDrainWait;
  while (!stopping_.load(std::memory_order_relaxed)) {
    pollfd pfd{fd_, POLLIN, 0};
    const timespec timeout = ToTimespec(deadline - Clock::now());
    const int ready = ppoll(&pfd, 1, &timeout, nullptr);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    const ssize_t got = recv(fd_, scratch, sizeof(scratch), MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) return;
  }
}

ClientStream::End ClientStream::EndForError(int error) {
  last_error_ = error;
  if (stopping_.load()) return End::kStopping;
  if (error == EPIPE || error == ECONNRESET) return End::kPeerClosed;
  return End::kWriteError;
}

}  // namespace ec::producer
