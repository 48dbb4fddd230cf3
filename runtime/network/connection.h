// Connection: one data-plane TCP connection (either side) and the socket calls around it.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/network/frame.h"

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

  int fd() const { return fd_; }
  const std::string& peer() const { return peer_; }  // "host:port" of the other side

 private:
  const int fd_;
  const std::string peer_;
  absl::Mutex write_mu_;
  bool shut_down_ ABSL_GUARDED_BY(write_mu_) = false;
};

// A listening socket on host:port (port 0: any free one); returns the fd and the bound port.
absl::StatusOr<int> ListenTcp(const std::string& host, int port, int* bound_port);
// One attempt to connect to "host:port", given up after `timeout`. The socket has TCP_NODELAY
// set: batches are already large, and Nagle would only delay barriers, watermarks and credits.
absl::StatusOr<int> ConnectTcp(const std::string& host_port, absl::Duration timeout);
// The socket's peer as "host:port".
std::string PeerAddress(int fd);
void SetNoDelay(int fd);

}  // namespace ec
