// TLS for KafkaBrokerConnection (security protocols SSL and SASL_SSL), over OpenSSL: the
// handshake with peer and host name verification, then reads and writes with deadlines.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace ec {

// One TLS session over a connected non-blocking socket it does not own. Not thread-safe.
class TlsSession {
 public:
  // Handshakes as a client of `host`. From `properties` (librdkafka's names): ssl.ca.location
  // (a PEM file or a directory; default: the system's trust store),
  // enable.ssl.certificate.verification=false (no peer check),
  // ssl.endpoint.identification.algorithm=none (no host name check), ssl.certificate.location
  // and ssl.key.location (a client certificate). Unavailable with OpenSSL's reason on failure.
  static absl::StatusOr<std::unique_ptr<TlsSession>> Handshake(
      int fd, const std::string& host, const std::map<std::string, std::string>& properties,
      absl::Time deadline);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  absl::Status WriteAll(absl::string_view data, absl::Time deadline);
  absl::Status ReadExact(char* out, size_t size, absl::Time deadline);

 private:
  TlsSession(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}
  // After an SSL_* call returned `result`: waits for the socket when OpenSSL wants it (OK, try
  // again), else the error.
  absl::Status WaitOrFail(int result, absl::string_view what, absl::Time deadline);

  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
};

// Milliseconds for poll() until `deadline` (-1: none).
int PollTimeoutMs(absl::Time deadline);

}  // namespace ec
