// TCP client connection set-up for ec-consumer.
#include "client/consumer/tcp_dial.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ec::consumer {

absl::StatusOr<int> DialTcp(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &results); rc != 0) {
    return absl::NotFoundError(absl::StrCat("resolve ", host, ": ", gai_strerror(rc)));
  }
  std::string error = "no address";
  int connected = -1;
  for (addrinfo* ai = results; ai != nullptr && connected < 0; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      connected = fd;
    } else {
      error = std::strerror(errno);
      close(fd);
    }
  }
  freeaddrinfo(results);
  if (connected < 0) {
    return absl::UnavailableError(absl::StrCat("connect to ", host, ":", port, ": ", error));
  }
  return connected;
}

}  // namespace ec::consumer
