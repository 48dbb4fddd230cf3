// A TaskManager's Prometheus endpoint over cpp-httplib.
#include "taskmanager/metrics_server.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "runtime/logging.h"
#include "runtime/net.h"

namespace ec {

absl::StatusOr<PortRange> ParsePortRange(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  PortRange range;
  const bool parsed = parts.size() <= 2 && absl::SimpleAtoi(parts[0], &range.first) &&
                      absl::SimpleAtoi(parts.back(), &range.last);
  if (!parsed || range.first < 0 || range.last > 65535 || range.first > range.last ||
      (range.first == 0 && range.last != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-port '", text, "' is not a port (0 for any free one) or a range FROM-TO"));
  }
  return range;
}

MetricsServer::MetricsServer(std::function<std::string()> render, UserTokens* tokens,
                             const TlsFiles& tls)
    : render_(std::move(render)),
      tokens_(tokens),
      server_(tls.server_enabled()
                  ? std::make_unique<httplib::SSLServer>(tls.cert.c_str(), tls.key.c_str())
                  : std::make_unique<httplib::Server>()) {
  server_->set_socket_options(ExclusiveListenOptions);
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    const Access access = Authorize(tokens_, BearerToken(req.get_header_value("Authorization")),
                                    /*changes_state=*/false, "GET /metrics");
    if (access.code != Access::kOk) {
      // At most a line a minute: a misconfigured Prometheus retries every few seconds.
      const int64_t now = absl::ToUnixSeconds(absl::Now());
      int64_t last = last_refusal_logged_s_.load();
      if (now - last >= 60 && last_refusal_logged_s_.compare_exchange_strong(last, now)) {
        Logger("security")->warn("metrics scrape from {} refused: {}", req.remote_addr,
                                 access.reason);
      }
      if (access.code == Access::kUnauthenticated) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"eventcluster\"");
      }
      res.status = access.code == Access::kUnauthenticated ? 401 : 403;
      res.set_content(access.reason + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_content(render_(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

MetricsServer::~MetricsServer() { Stop(); }

absl::Status MetricsServer::Start(const std::string& host, PortRange ports) {
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError("metrics port: the TLS certificate or key does not load");
  }
  if (ports.first == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    for (int p = ports.first; p <= ports.last && port_ <= 0; ++p) {
      if (server_->bind_to_port(host, p)) port_ = p;
    }
  }
  if (port_ <= 0) {
    port_ = 0;
    return absl::UnavailableError(
        ports.first == ports.last
            ? absl::StrCat("metrics port ", ports.first, " on ", host, " is taken")
            : absl::StrCat("every metrics port ", ports.first, "-", ports.last, " on ", host,
                           " is taken"));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is lost on a server not yet listening: Stop() must find it running.
  for (int i = 0; i < 1000 && !server_->is_running(); ++i) absl::SleepFor(absl::Milliseconds(5));
  return absl::OkStatus();
}

void MetricsServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace ec
