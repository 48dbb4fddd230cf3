// DataServer: the consumer side of the TaskManager's data port.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "runtime/network/channel_registry.h"
#include "runtime/security/cluster_secret.h"
#include "runtime/security/data_tls.h"

namespace ec {

class ServerConnection;

struct DataServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port; port() tells which
  // Set: every connection must pass the cluster handshake (runtime/security/handshake.h)
  // within handshake_timeout before any frame is read; one that fails is closed and logged
  // with the peer's address (rate-limited).
  std::shared_ptr<const ClusterSecret> secret;
  // Set: then TLS within handshake_timeout, the peer's certificate verified
  // (runtime/security/data_tls.h); a failure is closed and logged the same way.
  std::shared_ptr<const DataTls> tls;
  absl::Duration handshake_timeout = absl::Seconds(10);
};

// Listens on the data port; every producer TaskManager opens one connection to it and sends
// the frames of all its channels to this process's consumers over it (see data_client.h for
// why one connection per pair). A reader thread per connection routes each frame, through
// the registry, to the input gate of its channel and sends the gates' credits back. When a
// connection breaks, each of its channels that had not ended fails with
// "data connection from HOST:PORT lost: REASON".
//
// Lifecycle: Start → Stop (idempotent; the destructor calls it). The registry belongs to the
// server: input gates and local output channels using it must be destroyed before it.
// Thread-safe.
class DataServer {
 public:
  explicit DataServer(DataServerOptions options = {});
  ~DataServer();
  DataServer(const DataServer&) = delete;
  DataServer& operator=(const DataServer&) = delete;

  // Binds and starts accepting. Unavailable if the port cannot be bound.
  absl::Status Start();
  // Closes the port and every connection, and waits for their threads.
  void Stop();

  int port() const { return port_; }
  ChannelRegistry& registry() { return registry_; }

 private:
  void AcceptLoop();
  // Joins and forgets connections whose reader has finished.
  void Reap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DataServerOptions options_;
  ChannelRegistry registry_;
  RefusalLog refusals_{"data connection"};
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;

  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<ServerConnection>> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
