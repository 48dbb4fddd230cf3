// Data-plane connections: serialized writes on a shared socket.
#include "runtime/network/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace ec {

Connection::Connection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}

Connection::~Connection() {
  tls_.reset();
  close(fd_);
}

absl::Status Connection::WritePreamble() {
  absl::MutexLock lock(&write_mu_);
  if (shut_down_) return absl::UnavailableError("connection closed");
  return ec::WritePreamble(socket());
}

absl::Status Connection::WriteFrame(FrameKind kind, const ChannelId& channel, int64_t value) {
  absl::MutexLock lock(&write_mu_);
  if (shut_down_) return absl::UnavailableError("connection closed");
  return ec::WriteFrame(socket(), kind, channel, value);
}

absl::Status Connection::WriteData(const ChannelId& channel, const RecordBatch& batch) {
  absl::MutexLock lock(&write_mu_);
  if (shut_down_) return absl::UnavailableError("connection closed");
  return WriteDataFrame(socket(), channel, batch);
}

void Connection::Shutdown() {
  // Not under write_mu_: a writer blocked in send() holds it, and shutdown() is what frees it.
  shutdown(fd_, SHUT_RDWR);
  absl::MutexLock lock(&write_mu_);
  shut_down_ = true;
}

}  // namespace ec
