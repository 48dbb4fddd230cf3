// DataClient: the producer side of the data plane, one TCP connection per peer TaskManager.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runtime/network/channel_id.h"
#include "runtime/network/channel_registry.h"
#include "runtime/network/output_channel.h"
#include "runtime/security/cluster_secret.h"
#include "runtime/security/data_tls.h"

namespace ec {

class ClientConnection;

struct DataClientOptions {
  // Connecting retries, with exponential backoff, for this long: the peer TaskManager may
  // still be starting. Past it Open fails with Unavailable naming the address.
  absl::Duration connect_timeout = absl::Seconds(30);
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  // This process's own data server: channels to `local_address` skip the socket and go
  // through `local_registry` (LocalOutputChannel). Unset: every channel uses TCP.
  ChannelRegistry* local_registry = nullptr;
  std::string local_address;
  // Set: every connection passes the cluster handshake first (runtime/security/handshake.h).
  std::shared_ptr<const ClusterSecret> secret;
  // Set: then TLS, the peer's certificate verified (runtime/security/data_tls.h).
  std::shared_ptr<const DataTls> tls;
  absl::Duration handshake_timeout = absl::Seconds(10);
};

// Opens output channels to consumers on other TaskManagers. All channels from this process
// to one peer share one connection, as in Flink: at parallelism p an exchange has p² channels,
// and a socket each would not scale; credit-based flow control is what makes sharing safe (a
// slow consumer stalls its own producers, never the connection). A connection that breaks
// fails every channel on it ("data connection to HOST:PORT lost: REASON"); the next Open to
// that peer connects anew (the job's restart opens its channels again).
//
// Thread-safe. Output channels keep their connection alive, so they may outlive the client.
class DataClient {
 public:
  explicit DataClient(DataClientOptions options = {});
  ~DataClient();
  DataClient(const DataClient&) = delete;
  DataClient& operator=(const DataClient&) = delete;

  // The producer end of `id`, whose consumer runs on the TaskManager with data address `peer`
  // ("host:port"). Connects if needed (retrying up to connect_timeout) and announces the
  // channel; the first send then waits until the consumer's gate has registered it.
  absl::StatusOr<std::unique_ptr<OutputChannel>> Open(const std::string& peer, const ChannelId& id);

  int64_t connect_attempts() const { return connect_attempts_.load(); }

 private:
  // One per peer address, so a slow connect to one peer does not hold up the others.
  struct Peer {
    absl::Mutex mu;
    std::shared_ptr<ClientConnection> connection ABSL_GUARDED_BY(mu);
  };
  absl::StatusOr<std::shared_ptr<ClientConnection>> ConnectionTo(const std::string& peer);
  absl::StatusOr<int> ConnectWithRetry(const std::string& peer);

  const DataClientOptions options_;
  std::atomic<int64_t> connect_attempts_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Peer>> peers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
