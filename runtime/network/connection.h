// Connection: one data-plane TCP connection (either side).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runtime/network/frame.h"
#include "runtime/security/data_tls.h"
#include "runtime/util/tcp.h"  // DialTcp, ListenTcp, PeerAddress, SetNoDelay

namespace ec {

// Owns a connected socket and serializes writes to it: several producer threads share one
// connection, and the consumer side writes credits from network and task threads. Reading is
// the owner's reader thread's alone (FrameReader on fd()). The socket is closed only by the
// destructor, so a late writer never hits a reused descriptor. Thread-safe.
class Connection {
 public:
  Connection(int fd, std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Write errors come back as they are; the caller says which connection they concern.
  absl::Status WritePreamble();
  absl::Status WriteFrame(FrameKind kind, const ChannelId& channel, int64_t value);
  absl::Status WriteData(const ChannelId& channel, const RecordBatch& batch);
  // Unblocks the reader (its recv returns) and fails later writes. Idempotent.
  void Shutdown();
  // From now on every byte goes through `tls` (its handshake done on fd()). Call before any
  // frame is written or read.
  void UseTls(std::unique_ptr<TlsStream> tls) { tls_ = std::move(tls); }

  int fd() const { return fd_; }
  // Where the reader reads frames from.
  FrameSocket socket() const { return FrameSocket(fd_, tls_.get()); }
  const std::string& peer() const { return peer_; }  // "host:port" of the other side

 private:
  const int fd_;
  const std::string peer_;
  std::unique_ptr<TlsStream> tls_;
  absl::Mutex write_mu_;
  bool shut_down_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace ec
