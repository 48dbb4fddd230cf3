// Opens a TCP connection to host:port, trying every address the name resolves to.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ec::consumer {

// Returns the connected socket, which the caller closes. Errors: NotFound when the host does not
// resolve, Unavailable when no address accepts ("connect to localhost:9999: Connection
// refused").
absl::StatusOr<int> DialTcp(const std::string& host, uint16_t port);

}  // namespace ec::consumer
