// TLS for the data plane (OpenSSL): TaskManagers exchange records over mutually authenticated
// TLS 1.3 when they have --tls-cert, --tls-key and --tls-ca.
//
// Both ends present their certificate and verify the other's chain against the CA; host names
// are not checked (the CA is the cluster's own, as Flink's internal SSL trusts its internal
// certificate rather than names), so every holder of a certificate from that CA is a peer. It
// comes after the cluster handshake (handshake.h) on the same socket.
//
// A TlsStream is one connection's TLS state. Its socket is non-blocking from the handshake on;
// Send and Recv wait with poll(), and take a lock only around each OpenSSL call, so the
// connection's reader thread waiting for bytes never blocks its writers (one SSL object must
// not be used by two threads at once). shutdown(fd) wakes a waiting Recv, as for a plain socket.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace ec {

struct TlsFiles;  // runtime/security/tls.h

class TlsStream {
 public:
  TlsStream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Every byte of `iov` out, or the error. Not for two writers at once (the connection
  // serializes its writers); a reader may run meanwhile.
  absl::Status SendAll(iovec* iov, int count);
  // Up to `n` bytes into `into`: how many (> 0), 0 when the peer closed, or the error.
  absl::StatusOr<size_t> Recv(char* into, size_t n);

 private:
  const int fd_;
  absl::Mutex mu_;  // around every call on ssl_
  SSL* const ssl_;
};

class DataTls {
 public:
  // InvalidArgument naming the flag when a file is missing or unreadable, or when the
  // certificate and key do not match.
  static absl::StatusOr<std::shared_ptr<const DataTls>> Create(const TlsFiles& files);
  ~DataTls();
  DataTls(const DataTls&) = delete;
  DataTls& operator=(const DataTls&) = delete;

  // The TLS handshake on a connected socket, as its server (accepted) or client (dialled)
  // side, by `deadline`. Unauthenticated when the peer's certificate is missing or not from
  // the CA, or the peer does not speak TLS.
  absl::StatusOr<std::unique_ptr<TlsStream>> Accept(int fd, absl::Time deadline) const;
  absl::StatusOr<std::unique_ptr<TlsStream>> Connect(int fd, absl::Time deadline) const;

 private:
  DataTls(SSL_CTX* server, SSL_CTX* client) : server_(server), client_(client) {}
  absl::StatusOr<std::unique_ptr<TlsStream>> Handshake(SSL_CTX* ctx, int fd, bool accept,
                                                       absl::Time deadline) const;

  SSL_CTX* const server_;
  SSL_CTX* const client_;
};

}  // namespace ec
