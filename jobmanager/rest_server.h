// RestServer: the JobManager's HTTP API and a minimal web page, like Flink's on port 8081.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jobmanager/dispatcher.h"
#include "jobmanager/job_uploads.h"
#include "runtime/prometheus_text.h"
#include "runtime/security/cluster_secret.h"
#include "runtime/security/tls.h"
#include "runtime/security/user_tokens.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ec {

// Flink-shaped JSON (flink_rest.h): GET /config, /overview, /jobs, /jobs/overview,
// /jobs/<id> (EventCluster's status with Flink's top-level fields), /jobs/<id>/status,
// /taskmanagers, PATCH /jobs/<id>?mode=cancel, POST /jobs/<id>/savepoints and /jobs/<id>/stop
// (202 with a request-id; GET /jobs/<id>/savepoints/<request-id> for the outcome), Flink's jar
// paths for job files (POST /jars/upload, GET /jars, POST /jars/<id>/run, DELETE /jars/<id>);
// GET /metrics (Prometheus, prometheus_metrics.h); GET /openapi.json (the API's OpenAPI document,
// jobmanager/openapi.json);
// / (an HTML overview refreshing itself). Errors as Flink's {"errors": ["..."]}.
// Start() binds and serves from its own thread; Stop() is idempotent.
//
// With `tokens`, every path but the page itself and POST /login needs `authorization: Bearer
// <token>` or the session cookie POST /login ({"token": "..."}) sets (HttpOnly,
// SameSite=Strict, 8 h); 401 without either, 403 for a viewer changing something. A request
// that changes state on a cookie alone must also carry the header `X-EC-Request` (a page of
// another site cannot add it without a CORS preflight, which is never granted).
class RestServer {
 public:
  // With tls.cert and tls.key it serves HTTPS (no client certificates: browsers log in with a
  // token).
  // `uploads`: where POST /jars/upload keeps job files (none: the /jars paths answer 404).
  RestServer(Dispatcher* dispatcher, UserTokens* tokens, const TlsFiles& tls = {},
             JobUploads* uploads = nullptr);
  ~RestServer();

  // GET /jobmanager/log (the last MiB of `log_file`), /jobmanager/logs (it and its rotated
  // files: name, size, mtime) and /jobmanager/logs/<name> (one of them whole). Before Start.
  void ServeLogs(const std::string& log_file);
  // The prefix of the metric names at GET /metrics (--metrics-prefix). Before Start.
  void SetMetricsPrefix(std::string prefix) { metrics_prefix_ = std::move(prefix); }
  // Returns false when the port cannot be bound.
  bool Start(const std::string& host, int port);
  void Stop();

 private:
  struct Session {
    std::string token;  // checked again on every request: a revoked token ends its sessions
    absl::Time expires;
  };
  // Whether the request may go on; otherwise fills the 401/403 response.
  bool Admit(const httplib::Request& req, httplib::Response& res);
  void Login(const httplib::Request& req, httplib::Response& res);
  // The request's token: its bearer token, else its live session's (`from_cookie` set then).
  std::string TokenOf(const httplib::Request& req, bool* from_cookie);
  // The name of the user the request authenticates as ("-" without tokens).
  std::string RequestUser(const httplib::Request& req);

  // A savepoint or stop-with-savepoint asked for over REST: it runs on its own thread, and
  // GET /jobs/<id>/savepoints/<request-id> polls it (Flink's asynchronous operations). A
  // finished one is kept for kOperationKept after it ended, as Flink's
  // rest.async.store-duration; at most kOperationsRunning run at once.
  struct Operation {
    std::string kind;  // "savepoint" (savepoints and stops) or "rescaling"
    std::string job;
    bool done = false;
    absl::Time ended;
    std::string location;  // when done and it succeeded
    std::string failure;   // when done and it failed
  };
  static constexpr absl::Duration kOperationKept = absl::Minutes(5);
  static constexpr int kOperationsRunning = 32;
  // POST /jobs/<id>/savepoints and /jobs/<id>/stop: starts the savepoint (StartOperation).
  void StartSavepoint(const httplib::Request& req, httplib::Response& res, bool stop);
  // Runs `work` on its own thread as an operation of `kind` on the job of req.matches[1] and
  // answers 202 {"request-id": ...}; 404 for an unknown job, 429 when kOperationsRunning are
  // still running. `action` names it in the audit line. What `work` returns is the
  // operation's "location" (none when empty) or its failure.
  void StartOperation(const httplib::Request& req, httplib::Response& res, const std::string& kind,
                      const std::string& action,
                      std::function<absl::StatusOr<std::string>()> work);
  // GET of operation req.matches[2] of `kind` on job req.matches[1]: Flink's
  // {"status": {"id": IN_PROGRESS|COMPLETED}, "operation": {location | failure-cause}}.
  void ReplyOperation(const httplib::Request& req, httplib::Response& res, const std::string& kind);
  // POST /jars/<id>/run: submits the uploaded job file with Flink's run request's arguments.
  void RunUpload(const httplib::Request& req, httplib::Response& res);

  Dispatcher* dispatcher_;
  UserTokens* tokens_;
  std::string metrics_prefix_ = kDefaultMetricsPrefix;
  JobUploads* uploads_;
  const bool https_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  RefusalLog refusals_{"REST request"};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Operation> operations_ ABSL_GUARDED_BY(mu_);
  // By request id, until the operation has ended and a later request joins it.
  absl::flat_hash_map<std::string, std::thread> operation_threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ec
