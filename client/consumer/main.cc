// ec-consumer: connects to an event stream (ec-producer) and prints its lines to stdout.
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/util/tcp.h"

namespace {

constexpr size_t kBufferBytes = 1 << 20;
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::seconds(5);

// How one connection ended.
enum class End { kCountReached, kEof, kError };

// Copies whole lines from a socket to stdout; a partial line waits in the buffer for its end.
class LineCopier {
 public:
  explicit LineCopier(uint64_t count) : count_(count), buffer_(new char[kBufferBytes]) {}

  // Reads `fd` until EOF, an error or the count; sets `*error` (errno) on kError.
  End Copy(int fd, int* error) {
    used_ = 0;  // a partial line from an earlier connection is resent by the resumed stream
    while (true) {
      const ssize_t got = recv(fd, buffer_.get() + used_, kBufferBytes - used_, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        *error = errno;
        return End::kError;
      }
      if (got == 0) {
        WriteOut(used_);  // the stream's last line may lack its '\n'
        return End::kEof;
      }
      if (ConsumeReceived(static_cast<size_t>(got))) return End::kCountReached;
    }
  }

  uint64_t lines() const { return lines_; }

 private:
  // Takes `got` new bytes at buffer_ + used_; returns true once the count is reached.
  bool ConsumeReceived(size_t got) {
    char* const buffer = buffer_.get();
    const char* scan = buffer + used_;
    const char* const end = scan + got;
    const char* last_newline = nullptr;
    while (const auto* newline = static_cast<const char*>(std::memchr(scan, '\n', end - scan))) {
      last_newline = newline;
      scan = newline + 1;
      if (++lines_ == count_) {
        WriteOut(static_cast<size_t>(scan - buffer));
        return true;
      }
    }
    used_ += got;
    if (last_newline != nullptr) {
      const auto whole = static_cast<size_t>(last_newline + 1 - buffer);
      WriteOut(whole);
      used_ -= whole;
      std::memmove(buffer, buffer + whole, used_);
    } else if (used_ == kBufferBytes) {
      WriteOut(used_);  // a line longer than the buffer goes out in pieces
      used_ = 0;
    }
    return false;
  }

  void WriteOut(size_t size) {
    const char* data = buffer_.get();
    while (size > 0) {
      const ssize_t written = write(STDOUT_FILENO, data, size);
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) {
        std::fprintf(stderr, "ec-consumer: write to stdout: %s\n", std::strerror(errno));
        std::exit(1);
      }
      data += written;
      size -= static_cast<size_t>(written);
    }
  }

  const uint64_t count_;  // 0: no limit
  std::unique_ptr<char[]> buffer_;
  size_t used_ = 0;
  uint64_t lines_ = 0;
};

bool SendLine(int fd, const std::string& line) {
  const char* data = line.data();
  size_t size = line.size();
  while (size > 0) {
    const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0) return false;
    data += sent;
    size -= static_cast<size_t>(sent);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prints an NDJSON event stream (ec-producer) to stdout, one line per event."};
  std::string host = "localhost";
  uint16_t port = 9999;
  uint64_t count = 0;
  std::optional<uint64_t> resume;
  bool retry = false;
  app.add_option("--host", host, "producer host")->capture_default_str();
  app.add_option("--port", port, "producer port")->capture_default_str();
  app.add_option("--count", count, "exit after this many lines (0: at end of stream)")
      ->capture_default_str();
  app.add_option("--resume", resume, "ask the producer to start at this seq (RESUME line)");
  app.add_flag("--retry", retry,
               "on connection failure or error, retry with backoff (100 ms doubling to 5 s), "
               "resuming after the last line received");
  CLI11_PARSE(app, argc, argv);

  const uint64_t first_seq = resume.value_or(0);
  LineCopier copier(count);
  auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstBackoff);
  while (true) {
    std::string error;
    if (absl::StatusOr<int> fd = ec::DialTcp(host, port, absl::InfiniteFuture()); !fd.ok()) {
      error = std::string(fd.status().message());
    } else {
      // A reconnect continues where the last connection stopped: the stream has one line per
      // seq, so the lines received so far give the next seq.
      const bool send_resume = resume.has_value() || copier.lines() > 0;
      const uint64_t next_seq = first_seq + copier.lines();
      int copy_error = 0;
      End end = End::kError;
      if (send_resume && !SendLine(*fd, absl::StrCat("RESUME ", next_seq, "\n"))) {
        copy_error = errno;
      } else {
        end = copier.Copy(*fd, &copy_error);
      }
      close(*fd);
      if (end != End::kError) return 0;
      error = absl::StrCat("connection to ", host, ":", port, ": ", std::strerror(copy_error));
      backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstBackoff);
    }
    if (!retry) {
      std::fprintf(stderr, "ec-consumer: %s\n", error.c_str());
      return 1;
    }
    std::fprintf(stderr, "ec-consumer: %s; retrying in %lld ms\n", error.c_str(),
                 static_cast<long long>(backoff.count()));
    std::this_thread::sleep_for(backoff);
    backoff =
        std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
  }
}
