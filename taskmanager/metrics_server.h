// MetricsServer: a TaskManager's GET /metrics for Prometheus, as Flink's PrometheusReporter
// serves it on port 9249 (metrics.reporter.prom.port, which may be a range such as 9249-9259 so
// several TaskManagers share a host). With user tokens (--auth-token-file, the JobManager's
// format) a scrape needs `authorization: Bearer <token>` of a viewer or admin; with TLS files it
// serves HTTPS.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "runtime/security/tls.h"
#include "runtime/security/user_tokens.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace ec {

// The ports of "--metrics-port": "9249", "9249-9259" (the first free one is taken) or "0" (any).
struct PortRange {
  int first = 0;
  int last = 0;
};
absl::StatusOr<PortRange> ParsePortRange(const std::string& text);

class MetricsServer {
 public:
  // `render` is called on each scrape, from the server's threads.
  MetricsServer(std::function<std::string()> render, UserTokens* tokens, const TlsFiles& tls);
  ~MetricsServer();

  // Binds the first free port of `ports` on `host` and serves from its own thread. The error
  // names the ports tried.
  absl::Status Start(const std::string& host, PortRange ports);
  int port() const { return port_; }
  void Stop();

 private:
  std::function<std::string()> render_;
  UserTokens* tokens_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::atomic<int64_t> last_refusal_logged_s_{0};
  std::thread thread_;
};

}  // namespace ec
