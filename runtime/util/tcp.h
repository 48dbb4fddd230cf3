// TCP chores shared by every binary: dial with a deadline, listen on a port, peer names.
#pragma once

#include <sys/socket.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ec {

// "host:port" or "[v6 address]:port", split. InvalidArgument naming `address` otherwise.
struct HostPort {
  std::string host;  // without the brackets of an IPv6 literal
  int port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(const std::string& address);

struct DialOptions {
  // TCP_NODELAY: for connections whose writes are already large or must leave at once.
  bool no_delay = false;
  // Leave O_NONBLOCK set on the returned socket (for a caller that polls it).
  bool non_blocking = false;
};

// Connects to host:port, trying every address the name resolves to until `deadline`
// (absl::InfiniteFuture(): no limit but the kernel's). Returns the connected socket
// (close-on-exec), which the caller closes. Errors: NotFound when `host` does not resolve
// ("resolve HOST: ..."), Unavailable when no address accepts before the deadline ("connect to
// HOST:PORT: Connection refused", "...: Connection timed out"). Thread-safe.
absl::StatusOr<int> DialTcp(const std::string& host, int port, absl::Time deadline,
                            const DialOptions& options = {});

// A listening socket and the port it is bound to (the chosen one when asked for port 0).
struct ListeningSocket {
  int fd = -1;
  int port = 0;
};
// Binds host:port (SO_REUSEADDR, close-on-exec; the first address the name resolves to that
// binds) and listens. The caller closes the socket. Errors: InvalidArgument when `host` does
// not resolve ("listen on HOST:PORT: ..."), Unavailable when no address binds or listens
// ("listen on HOST:PORT: Address already in use").
absl::StatusOr<ListeningSocket> ListenTcp(const std::string& host, int port);

// "host:port" (IPv4) or "[host]:port" (IPv6) of a socket address; "?:0" for another family.
std::string SocketAddressText(const sockaddr_storage& address);
// The connected socket's peer as SocketAddressText, or "unknown peer".
std::string PeerAddress(int fd);
void SetNoDelay(int fd);

}  // namespace ec
