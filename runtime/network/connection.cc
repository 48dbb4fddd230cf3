// Data-plane connections and TCP helpers.
#include "runtime/network/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ec {

Connection::Connection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}

Connection::~Connection() { close(fd_); }

absl::Status Connection::WritePreamble() {
  absl::MutexLock lock(&write_mu_);
  if (shut_down_) return absl::UnavailableError("connection closed");
  return ec::WritePreamble(fd_);
}

absl::Status Connection::WriteFrame(FrameKind kind, const ChannelId& channel, int64_t value) {
  absl::MutexLock lock(&write_mu_);
  if (shut_down_) return absl::UnavailableError("connection closed");
  return ec::WriteFrame(fd_, kind, channel, value);
}

absl::Status Connection::WriteData(const ChannelId& channel, const RecordBatch& batch) {
  absl::MutexLock lock(&write_mu_);
  if (shut_down_) return absl::UnavailableError("connection closed");
  return WriteDataFrame(fd_, channel, batch);
}

void Connection::Shutdown() {
  // Not under write_mu_: a writer blocked in send() holds it, and shutdown() is what frees it.
  shutdown(fd_, SHUT_RDWR);
  absl::MutexLock lock(&write_mu_);
  shut_down_ = true;
}

namespace {

// connect() with a time limit (a peer behind a dead route would otherwise take minutes to
// fail); returns 0 or the errno.
int ConnectWithin(int fd, const addrinfo* a, absl::Duration timeout) {
  const int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int error = 0;
  if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
    error = errno;
    if (error == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ms = static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout)));
      if (poll(&p, 1, ms) <= 0) {
        error = ETIMEDOUT;
      } else {
        socklen_t len = sizeof(error);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      }
    }
  }
  fcntl(fd, F_SETFL, flags);
  return error;
}

}  // namespace

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "unknown peer";
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    return absl::StrCat(host, ":", port);
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
  return absl::StrCat("[", host, "]:", ntohs(in6->sin6_port));
}

absl::StatusOr<int> ListenTcp(const std::string& host, int port, int* bound_port) {
  const std::string where = absl::StrCat(host, ":", port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result); rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat("data port ", where, ": ", gai_strerror(rc)));
  }
  int fd = socket(result->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool ok =
      fd >= 0 && bind(fd, result->ai_addr, result->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0;
  const int error = errno;
  freeaddrinfo(result);
  if (!ok) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on data port ", where, ": ", std::strerror(error)));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *bound_port = addr.ss_family == AF_INET
                    ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                    : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return fd;
}

absl::StatusOr<int> ConnectTcp(const std::string& host_port, absl::Duration timeout) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(host_port).substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("data address ", host_port, ": expected HOST:PORT"));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result); rc != 0) {
    return absl::UnavailableError(gai_strerror(rc));
  }
  int error = ECONNREFUSED;
  int fd = -1;
  for (addrinfo* a = result; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    if (int e = ConnectWithin(fd, a, timeout); e != 0) {
      error = e;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(result);
  if (fd < 0) return absl::UnavailableError(std::strerror(error));
  SetNoDelay(fd);
  return fd;
}

}  // namespace ec
