// The TCP server behind ec-producer: every accepted client gets its own event stream.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/producer/client_stream.h"

namespace ec::producer {

// One accept thread plus one thread per connection (streams are independent and long-lived).
// Start() and Stop() are called from one controlling thread; port() is safe after Start().
class EventServer {
 public:
  struct Options {
    std::string bind_address = "0.0.0.0";
    uint16_t port = 9999;  // 0: any free port, see port()
    StreamConfig stream;
  };

  explicit EventServer(Options options);
  ~EventServer();  // Stop()s

  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  // Binds, listens and starts accepting. Errors: InvalidArgument for an address that does not
  // resolve, Unavailable when binding or listening fails (port in use, ...).
  absl::Status Start();

  // The port actually listened on (the chosen one when Options::port was 0).
  uint16_t port() const { return port_; }

  // Stops accepting, ends every stream and waits for their threads. Idempotent.
  void Stop();

 private:
  struct Connection {
    int fd = -1;  // closed and reset to -1 under mu_ by the connection's thread when done
    bool done = false;
    std::thread thread;
  };

  void AcceptLoop();
  void Serve(Connection* connection, std::string peer);
  // Joins the threads of connections that have ended.
  void ReapFinished() ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd that wakes the accept loop on Stop()
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::thread accept_thread_;
  absl::Mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec::producer
