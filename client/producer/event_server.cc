// Listening socket, accept loop and the registry of live connections.
#include "client/producer/event_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/producer/producer_logger.h"
#include "runtime/util/tcp.h"

namespace ec::producer {

EventServer::EventServer(Options options) : options_(std::move(options)) {}

EventServer::~EventServer() { Stop(); }

absl::Status EventServer::Start() {
  auto listening = ListenTcp(options_.bind_address, options_.port);
  if (!listening.ok()) return listening.status();
  listen_fd_ = listening->fd;
  port_ = static_cast<uint16_t>(listening->port);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    return absl::UnavailableError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  started_ = true;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void EventServer::Stop() {
  if (!started_ || stopping_.exchange(true)) return;
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    // Cannot happen for an eventfd below its maximum; the accept loop also polls stopping_.
  }
  accept_thread_.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    absl::MutexLock lock(&mu_);
    // Unblocks sends and polls; each thread then closes its own socket.
    for (const auto& connection : connections_) {
      if (connection->fd >= 0) shutdown(connection->fd, SHUT_RDWR);
    }
    connections.swap(connections_);
  }
  for (const auto& connection : connections) connection->thread.join();
  close(listen_fd_);
  close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

void EventServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, 1000);
    ReapFinished();
    if (ready <= 0 || stopping_.load()) continue;
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        ProducerLogger().error("accept: {}; pausing", std::strerror(errno));
        poll(nullptr, 0, 100);
      }
      continue;
    }
    // Paced streams write small batches that should leave at once.
    SetNoDelay(fd);
    absl::MutexLock lock(&mu_);
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    Connection* raw = connection.get();
    connection->thread = std::thread(
        [this, raw, peer = SocketAddressText(address)]() mutable { Serve(raw, std::move(peer)); });
    connections_.push_back(std::move(connection));
  }
}

void EventServer::Serve(Connection* connection, std::string peer) {
  ClientStream(connection->fd, std::move(peer), options_.stream, stopping_).Run();
  absl::MutexLock lock(&mu_);
  close(connection->fd);
  connection->fd = -1;
  connection->done = true;
}

void EventServer::ReapFinished() {
  std::vector<std::unique_ptr<Connection>> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& connection : finished) connection->thread.join();
}

}  // namespace ec::producer
