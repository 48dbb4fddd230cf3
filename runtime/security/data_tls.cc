// Data-plane TLS over OpenSSL, on non-blocking sockets waited on with poll().
#include "runtime/security/data_tls.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/security/tls.h"
#include "runtime/util/sigpipe.h"

namespace ec {
namespace {

// Records are at most 16 KiB: small pieces of a frame are gathered into one before SSL_write.
constexpr size_t kRecordBytes = 16384;

// OpenSSL's first queued error of this thread, or `fallback`.
std::string OpenSslError(const char* fallback) {
  const unsigned long code = ERR_get_error();
  if (code == 0) return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// Waits until `fd` is ready for `events` or `deadline` passes (InfiniteFuture: no limit).
absl::Status WaitFor(int fd, short events, absl::Time deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    int timeout_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("TLS timed out");
      timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    }
    const int ready = poll(&p, 1, timeout_ms);
    if (ready > 0) return absl::OkStatus();  // readiness, a hang-up or an error: the call says
    if (ready < 0 && errno != EINTR) return absl::UnavailableError(std::strerror(errno));
  }
}

// What an SSL call that returned `result` <= 0 means: wait for POLLIN or POLLOUT and retry
// (OK with *events set), or the error (*closed set when the peer just went away).
absl::Status Retry(SSL* ssl, int result, short* events, bool* closed) {
  *closed = false;
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      *events = POLLIN;
      return absl::OkStatus();
    case SSL_ERROR_WANT_WRITE:
      *events = POLLOUT;
      return absl::OkStatus();
    case SSL_ERROR_ZERO_RETURN:
      *closed = true;
      return absl::UnavailableError("closed by peer");
    case SSL_ERROR_SYSCALL:
      *closed = errno == 0;
      return absl::UnavailableError(errno != 0 ? std::strerror(errno) : "closed by peer");
    default:
      return absl::UnavailableError(absl::StrCat("TLS: ", OpenSslError("protocol error")));
  }
}

SSL_CTX* NewContext(const TlsFiles& files, bool server, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!ctx) {
    *error = OpenSslError("cannot create a TLS context");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (server) SSL_CTX_set_num_tickets(ctx, 0);  // no resumption: no messages after the handshake
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1) {
    *error = absl::StrCat("--tls-cert ", files.cert, ": ", OpenSslError("unreadable"));
  } else if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = absl::StrCat("--tls-key ", files.key, ": ", OpenSslError("unreadable"));
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = absl::StrCat("--tls-key ", files.key, " does not match --tls-cert ", files.cert);
  } else if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1) {
    *error = absl::StrCat("--tls-ca ", files.ca, ": ", OpenSslError("unreadable"));
  } else {
    return ctx;
  }
  SSL_CTX_free(ctx);
  return nullptr;
}

}  // namespace

TlsStream::~TlsStream() { SSL_free(ssl_); }

absl::Status TlsStream::SendAll(iovec* iov, int count) {
  char gathered[kRecordBytes];
  int piece = 0;
  size_t offset = 0;  // into iov[piece]
  while (piece < count) {
    // The next record's bytes: small pieces gathered, a large one written from where it is.
    const char* data;
    size_t size = 0;
    if (iov[piece].iov_len - offset >= kRecordBytes) {
      data = static_cast<const char*>(iov[piece].iov_base) + offset;
      size = std::min<size_t>(iov[piece].iov_len - offset, INT_MAX);
    } else {
      data = gathered;
      for (int i = piece; i < count && size < kRecordBytes; ++i) {
        const size_t from = i == piece ? offset : 0;
        const size_t take = std::min(iov[i].iov_len - from, kRecordBytes - size);
        std::memcpy(gathered + size, static_cast<const char*>(iov[i].iov_base) + from, take);
        size += take;
      }
    }
    size_t sent = 0;
    while (sent < size) {
      int result;
      short events = 0;
      bool closed;
      absl::Status retry;
      {
        absl::MutexLock lock(&mu_);
        ERR_clear_error();
        errno = 0;
        SigpipeSuppressed no_sigpipe;
        result = SSL_write(ssl_, data + sent, static_cast<int>(size - sent));
        if (result <= 0) retry = Retry(ssl_, result, &events, &closed);
      }
      if (result > 0) {
        sent += static_cast<size_t>(result);
        continue;
      }
      if (!retry.ok()) return retry;
      if (auto s = WaitFor(fd_, events, absl::InfiniteFuture()); !s.ok()) return s;
    }
    // Advance past what the record held.
    for (size_t left = size; left > 0;) {
      const size_t take = std::min(iov[piece].iov_len - offset, left);
      offset += take;
      left -= take;
      if (offset == iov[piece].iov_len) {
        ++piece;
        offset = 0;
      }
    }
    while (piece < count && iov[piece].iov_len == 0) ++piece;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> TlsStream::Recv(char* into, size_t n) {
  while (true) {
    int result;
    short events = 0;
    bool closed = false;
    absl::Status retry;
    {
      absl::MutexLock lock(&mu_);
      ERR_clear_error();
      errno = 0;
      SigpipeSuppressed no_sigpipe;  // a read may write (an alert)
      result = SSL_read(ssl_, into, static_cast<int>(std::min<size_t>(n, INT_MAX)));
      if (result <= 0) retry = Retry(ssl_, result, &events, &closed);
    }
    if (result > 0) return static_cast<size_t>(result);
    // The peer went away (with or without TLS's close_notify): as recv() returning 0.
    if (closed) return size_t{0};
    if (!retry.ok()) return retry;
    if (auto s = WaitFor(fd_, events, absl::InfiniteFuture()); !s.ok()) return s;
  }
}

absl::StatusOr<std::shared_ptr<const DataTls>> DataTls::Create(const TlsFiles& files) {
  if (files.cert.empty() || files.key.empty() || files.ca.empty()) {
    return absl::InvalidArgumentError(
        "data-plane TLS needs --tls-cert, --tls-key and --tls-ca: TaskManagers verify each "
        "other's certificates against the CA");
  }
  std::string error;
  SSL_CTX* server = NewContext(files, true, &error);
  if (!server) return absl::InvalidArgumentError(error);
  SSL_CTX* client = NewContext(files, false, &error);
  if (!client) {
    SSL_CTX_free(server);
    return absl::InvalidArgumentError(error);
  }
  return std::shared_ptr<const DataTls>(new DataTls(server, client));
}

DataTls::~DataTls() {
  SSL_CTX_free(server_);
  SSL_CTX_free(client_);
}

absl::StatusOr<std::unique_ptr<TlsStream>> DataTls::Accept(int fd, absl::Time deadline) const {
  return Handshake(server_, fd, true, deadline);
}

absl::StatusOr<std::unique_ptr<TlsStream>> DataTls::Connect(int fd, absl::Time deadline) const {
  return Handshake(client_, fd, false, deadline);
}

absl::StatusOr<std::unique_ptr<TlsStream>> DataTls::Handshake(SSL_CTX* ctx, int fd, bool accept,
                                                              absl::Time deadline) const {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return absl::UnavailableError(std::strerror(errno));
  }
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return absl::UnavailableError(OpenSslError("cannot start TLS"));
  auto stream = std::make_unique<TlsStream>(fd, ssl);  // frees ssl on every path
  SSL_set_fd(ssl, fd);
  while (true) {
    ERR_clear_error();
    errno = 0;
    int result;
    {
      SigpipeSuppressed no_sigpipe;
      result = accept ? SSL_accept(ssl) : SSL_connect(ssl);
    }
    if (result == 1) return stream;
    short events = 0;
    bool closed;
    if (auto s = Retry(ssl, result, &events, &closed); !s.ok()) {
      const long verify = SSL_get_verify_result(ssl);
      return absl::UnauthenticatedError(absl::StrCat(
          "TLS handshake failed: ",
          verify != X509_V_OK ? X509_verify_cert_error_string(verify) : s.message()));
    }
    if (auto s = WaitFor(fd, events, deadline); !s.ok()) {
      return absl::UnauthenticatedError("TLS handshake timed out");
    }
  }
}

}  // namespace ec
