// TLS sessions for KafkaBrokerConnection over OpenSSL.
#include "connectors/kafka/kafka_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "runtime/util/sigpipe.h"

namespace ec {

int PollTimeoutMs(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

namespace {

// OpenSSL's queued errors as one line (and the queue cleared).
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

std::string Property(const std::map<std::string, std::string>& properties, const std::string& k) {
  auto it = properties.find(k);
  return it == properties.end() ? "" : it->second;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsSession>> TlsSession::Handshake(
    int fd, const std::string& host, const std::map<std::string, std::string>& properties,
    absl::Time deadline) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("TLS: ", OpenSslErrors()));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  auto fail = [&](absl::StatusCode code, const std::string& what) {
    SSL_CTX_free(ctx);
    return absl::Status(code, absl::StrCat("TLS ", what, ": ", OpenSslErrors()));
  };
  const bool verify =
      absl::AsciiStrToLower(Property(properties, "enable.ssl.certificate.verification")) != "false";
  const std::string ca = Property(properties, "ssl.ca.location");
  if (!ca.empty()) {
    struct stat st;
    const bool is_dir = ::stat(ca.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (SSL_CTX_load_verify_locations(ctx, is_dir ? nullptr : ca.c_str(),
                                      is_dir ? ca.c_str() : nullptr) != 1) {
      return fail(absl::StatusCode::kInvalidArgument, absl::StrCat("ssl.ca.location '", ca, "'"));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return fail(absl::StatusCode::kInternal, "system trust store");
  }
  const std::string cert = Property(properties, "ssl.certificate.location");
  const std::string key = Property(properties, "ssl.key.location");
  if (!cert.empty() && SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    return fail(absl::StatusCode::kInvalidArgument,
                absl::StrCat("ssl.certificate.location '", cert, "'"));
  }
  if (!key.empty() && SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(absl::StatusCode::kInvalidArgument, absl::StrCat("ssl.key.location '", key, "'"));
  }
  SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return fail(absl::StatusCode::kInternal, "session");
  std::unique_ptr<TlsSession> session(new TlsSession(fd, ctx, ssl));
  SSL_set_fd(ssl, fd);
  if (!IsIpLiteral(host)) SSL_set_tlsext_host_name(ssl, host.c_str());
  const bool check_host = absl::AsciiStrToLower(Property(
                              properties, "ssl.endpoint.identification.algorithm")) != "none";
  if (verify && check_host) {
    // SSL_set1_host matches DNS names and, for an IP literal, the IP address SANs.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok = IsIpLiteral(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                     : SSL_set1_host(ssl, host.c_str());
    if (ok != 1) return absl::InternalError(absl::StrCat("TLS host check: ", OpenSslErrors()));
  }
  while (true) {
    int r;
    {
      SigpipeSuppressed no_sigpipe;
      r = SSL_connect(ssl);
    }
    if (r == 1) break;
    if (SSL_get_error(ssl, r) == SSL_ERROR_SSL && SSL_get_verify_result(ssl) != X509_V_OK) {
      const long v = SSL_get_verify_result(ssl);
      ERR_clear_error();
      return absl::UnavailableError(absl::StrCat("TLS handshake: certificate verify failed: ",
                                                 X509_verify_cert_error_string(v)));
    }
    if (auto s = session->WaitOrFail(r, "TLS handshake", deadline); !s.ok()) return s;
  }
  return session;
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

absl::Status TlsSession::WaitOrFail(int result, absl::string_view what, absl::Time deadline) {
  const int error = SSL_get_error(ssl_, result);
  short events = 0;
  if (error == SSL_ERROR_WANT_READ) events = POLLIN;
  if (error == SSL_ERROR_WANT_WRITE) events = POLLOUT;
  if (events == 0) {
    if (error == SSL_ERROR_ZERO_RETURN) {
      return absl::UnavailableError(absl::StrCat(what, ": connection closed by the broker"));
    }
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      return absl::UnavailableError(absl::StrCat(
          what, ": ", errno != 0 ? strerror(errno) : "connection closed by the broker"));
    }
    return absl::UnavailableError(absl::StrCat(what, ": ", OpenSslErrors()));
  }
  pollfd p{fd_, events, 0};
  const int r = ::poll(&p, 1, PollTimeoutMs(deadline));
  if (r == 0) return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
  if (r < 0 && errno != EINTR)
    return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
  return absl::OkStatus();
}

absl::Status TlsSession::WriteAll(absl::string_view data, absl::Time deadline) {
  size_t done = 0;
  while (done < data.size()) {
    errno = 0;
    int n;
    {
      SigpipeSuppressed no_sigpipe;
      n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
    }
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (auto s = WaitOrFail(n, "TLS send", deadline); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status TlsSession::ReadExact(char* out, size_t size, absl::Time deadline) {
  size_t done = 0;
  while (done < size) {
    errno = 0;
    int n;
    {
      SigpipeSuppressed no_sigpipe;
      n = SSL_read(ssl_, out + done, static_cast<int>(size - done));
    }
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (auto s = WaitOrFail(n, "TLS receive", deadline); !s.ok()) {
      if (s.code() == absl::StatusCode::kDeadlineExceeded) {
        return absl::DeadlineExceededError("no response before the deadline");
      }
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace ec
