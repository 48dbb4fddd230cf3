// The data-plane handshake over a blocking socket, every read bounded by a deadline.
#include "runtime/security/handshake.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ec {
namespace {

constexpr size_t kMagicBytes = sizeof(kHandshakeMagic) - 1;
constexpr size_t kMacBytes = 32;

absl::Status WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("handshake write: ", std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status ReadExactly(int fd, size_t n, absl::Time deadline, std::string* out) {
  out->resize(n);
  size_t got = 0;
  while (got < n) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("handshake: the peer sent nothing in time");
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the loop's deadline check decides
    const ssize_t r = recv(fd, out->data() + got, n - got, 0);
    if (r == 0) return absl::UnavailableError("handshake: the peer closed the connection");
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(absl::StrCat("handshake read: ", std::strerror(errno)));
    }
    got += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

absl::string_view View(const ClusterSecret::Mac& mac) {
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

}  // namespace

absl::Status ServerHandshake(int fd, const ClusterSecret& secret, absl::Time deadline) {
  const std::string server_nonce = RandomBytes(kHandshakeNonceBytes);
  if (auto s = WriteAll(fd, absl::StrCat(kHandshakeMagic, server_nonce)); !s.ok()) return s;
  std::string answer;
  if (auto s = ReadExactly(fd, kHandshakeNonceBytes + kMacBytes, deadline, &answer); !s.ok()) {
    return s;
  }
  const absl::string_view client_nonce = absl::string_view(answer).substr(0, kHandshakeNonceBytes);
  const absl::string_view mac = absl::string_view(answer).substr(kHandshakeNonceBytes);
  if (!secret.Verify(mac, {"ec-data-client", server_nonce, client_nonce})) {
    return absl::UnauthenticatedError("wrong cluster secret (handshake answer does not match)");
  }
  return WriteAll(fd, View(secret.Sign({"ec-data-server", client_nonce, server_nonce})));
}

absl::Status ClientHandshake(int fd, const ClusterSecret& secret, absl::Time deadline) {
  std::string hello;
  if (auto s = ReadExactly(fd, kMagicBytes + kHandshakeNonceBytes, deadline, &hello); !s.ok()) {
    return s;
  }
  if (absl::string_view(hello).substr(0, kMagicBytes) != kHandshakeMagic) {
    return absl::UnauthenticatedError(
        "the data port did not offer the cluster handshake (does it run without a secret?)");
  }
  const std::string server_nonce = hello.substr(kMagicBytes);
  const std::string client_nonce = RandomBytes(kHandshakeNonceBytes);
  if (auto s = WriteAll(fd, absl::StrCat(client_nonce,
                                         View(secret.Sign({"ec-data-client", server_nonce,
                                                           client_nonce}))));
      !s.ok()) {
    return s;
  }
  std::string proof;
  if (auto s = ReadExactly(fd, kMacBytes, deadline, &proof); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), " (wrong cluster secret?)"));
  }
  if (!secret.Verify(proof, {"ec-data-server", client_nonce, server_nonce})) {
    return absl::UnauthenticatedError("the data port answered the handshake with a wrong proof");
  }
  return absl::OkStatus();
}

}  // namespace ec
