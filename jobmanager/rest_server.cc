// HTTP API over cpp-httplib.
#include "jobmanager/rest_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "jobmanager/flink_rest.h"
#include "jobmanager/openapi.h"
#include "jobmanager/prometheus_metrics.h"
#include "jobmanager/rest_reply.h"
#include "jobmanager/web_page.h"
#include "proto/status_json.h"
#include "runtime/logging.h"
#include "runtime/net.h"
#include "runtime/security/listen_policy.h"
#include "runtime/util/job_arguments.h"

namespace ec {
namespace {

namespace fs = std::filesystem;

constexpr char kSessionCookie[] = "ec_session";
constexpr absl::Duration kSessionLifetime = absl::Hours(8);
// Live sessions kept; a login past it ends the one that would expire first.
constexpr size_t kMaxSessions = 1000;

std::string CookieValue(const httplib::Request& req, absl::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::StartsWith(part, name) && part.size() > name.size() && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return "";
}

bool ChangesState(const httplib::Request& req) {
  return req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
}

}  // namespace

std::string RestServer::TokenOf(const httplib::Request& req, bool* from_cookie) {
  std::string token(BearerToken(req.get_header_value("Authorization")));
  if (!token.empty()) return token;
  const std::string session = CookieValue(req, kSessionCookie);
  if (session.empty()) return "";
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session);
  if (it == sessions_.end() || it->second.expires <= absl::Now()) return "";
  if (from_cookie != nullptr) *from_cookie = true;
  return it->second.token;
}

std::string RestServer::RequestUser(const httplib::Request& req) {
  if (!tokens_) return "-";
  std::optional<User> user = tokens_->Authenticate(TokenOf(req, nullptr));
  return user ? user->name : "-";
}

bool RestServer::Admit(const httplib::Request& req, httplib::Response& res) {
  if (!tokens_) return true;
  if (req.path == "/" || (req.path == "/login" && req.method == "POST")) return true;
  bool from_cookie = false;
  const std::string token = TokenOf(req, &from_cookie);
  if (from_cookie) {
    if (ChangesState(req) && !req.has_header("X-EC-Request")) {
      refusals_.Refused(req.remote_addr, "cookie without X-EC-Request on " + req.path);
      Error(res, 403, "a request that changes state needs the X-EC-Request header");
      return false;
    }
  }
  const Access access =
      Authorize(tokens_, token, ChangesState(req), absl::StrCat(req.method, " ", req.path));
  if (access.code == Access::kOk) return true;
  refusals_.Refused(req.remote_addr, absl::StrCat(req.method, " ", req.path, ": ", access.reason));
  if (access.code == Access::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"eventcluster\"");
    Error(res, 401, access.reason);
  } else {
    Error(res, 403, access.reason);
  }
  return false;
}

void RestServer::Login(const httplib::Request& req, httplib::Response& res) {
  if (!tokens_) return Error(res, 404, "authentication is off: no --auth-token-file");
  if (!req.has_header("X-EC-Request")) {
    return Error(res, 403, "a request that changes state needs the X-EC-Request header");
  }
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
    return Error(res, 400, "expected a JSON object {\"token\": \"...\"}");
  }
  const std::string token = body["token"];
  std::optional<User> user = tokens_->Authenticate(token);
  if (!user) {
    refusals_.Refused(req.remote_addr, "login with an unknown token");
    return Error(res, 401, "unknown token");
  }
  const std::string session = HexEncode(RandomBytes(32));
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    absl::erase_if(sessions_, [now](const auto& e) { return e.second.expires <= now; });
    if (sessions_.size() >= kMaxSessions) {
      sessions_.erase(std::min_element(sessions_.begin(), sessions_.end(),
                                       [](const auto& a, const auto& b) {
                                         return a.second.expires < b.second.expires;
                                       }));
    }
    sessions_[session] = Session{token, now + kSessionLifetime};
  }
  Logger("audit")->info("user={} role={} action=\"login\" job=-", user->name, RoleName(user->role));
  res.set_header("Set-Cookie",
                 absl::StrCat(kSessionCookie, "=", session, "; Path=/; HttpOnly; SameSite=Strict; Max-Age=",
                              absl::ToInt64Seconds(kSessionLifetime), https_ ? "; Secure" : ""));
  Reply(res, 200, {{"user", user->name}, {"role", RoleName(user->role)}});
}

void RestServer::RunUpload(const httplib::Request& req, httplib::Response& res) {
  auto job_file = uploads_->Read(req.matches[1]);
  if (!job_file.ok()) return Error(res, 404, job_file.status().message());
  // Flink's JarRunRequestBody; its query parameters of the same names are accepted too.
  std::optional<nlohmann::json> parsed = ObjectBody(req, res);
  if (!parsed) return;
  nlohmann::json& body = *parsed;
  for (const char* key :
       {"programArgs", "parallelism", "savepointPath", "allowNonRestoredState"}) {
    if (!body.contains(key) && req.has_param(key)) body[key] = req.get_param_value(key);
  }
  std::vector<std::string> args;
  if (body.contains("programArgsList") && !body["programArgsList"].is_null()) {
    if (!body["programArgsList"].is_array()) {
      return Error(res, 400, "programArgsList: expected a list of strings");
    }
    for (const auto& arg : body["programArgsList"]) {
      if (!arg.is_string()) return Error(res, 400, "programArgsList: expected strings");
      args.push_back(arg.get<std::string>());
    }
  } else if (body.contains("programArgs") && body["programArgs"].is_string()) {
    // Split at whitespace (no quoting: use programArgsList for values with spaces).
    args = absl::StrSplit(body["programArgs"].get<std::string>(), absl::ByAnyChar(" \t\n"),
                          absl::SkipEmpty());
  }
  auto arguments = ParseJobArguments(args);
  if (!arguments.ok()) return Error(res, 400, arguments.status().message());
  if (body.contains("parallelism") && !body["parallelism"].is_null()) {
    const auto& p = body["parallelism"];
    arguments->parameters["parallelism"] = p.is_string() ? p.get<std::string>() : p.dump();
  }
  if (body.contains("savepointPath") && body["savepointPath"].is_string()) {
    arguments->from_savepoint = body["savepointPath"].get<std::string>();
  }
  // Flink's default: a savepoint with state the job would not restore is refused.
  bool allow_non_restored_state = false;
  if (body.contains("allowNonRestoredState") && !body["allowNonRestoredState"].is_null()) {
    const auto& allow = body["allowNonRestoredState"];
    if (allow.is_boolean()) {
      allow_non_restored_state = allow.get<bool>();
    } else if (allow == "true" || allow == "false") {
      allow_non_restored_state = allow == "true";
    } else {
      return Error(res, 400, "allowNonRestoredState: expected true or false");
    }
  }
  const bool loopback = IsLoopbackHost(req.remote_addr);
  if (auto s = CheckSecretsOverChannel(arguments->parameters, https_, loopback, req.remote_addr);
      !s.ok()) {
    return Error(res, 400, s.message());
  }
  auto id = dispatcher_->SubmitJob(*job_file, arguments->parameters, arguments->from_savepoint,
                                   allow_non_restored_state);
  if (!id.ok()) return Error(res, id.status());
  Logger("audit")->info("user={} role=admin action=\"submit\" job={} via=REST upload={}",
                        RequestUser(req), *id, std::string(req.matches[1]));
  Reply(res, 200, {{"jobid", *id}});
}

RestServer::RestServer(Dispatcher* dispatcher, UserTokens* tokens, const TlsFiles& tls,
                       JobUploads* uploads)
    : dispatcher_(dispatcher),
      tokens_(tokens),
      uploads_(uploads),
      https_(tls.server_enabled()),
      server_(https_ ? std::make_unique<httplib::SSLServer>(tls.cert.c_str(), tls.key.c_str())
                     : std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(1 << 20);
  server_->set_socket_options(ExclusiveListenOptions);
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // httplib would read a body without a length until its read timeout, holding a thread:
    // such a request is refused before its body is read (httplib then reads what follows on the
    // connection as the next request; the "Connection: close" asks the client to hang up).
    if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") &&
        !req.has_header("Content-Length") &&
        !absl::EqualsIgnoreCase(req.get_header_value("Transfer-Encoding"), "chunked")) {
      Error(res, 411, "a " + req.method + " needs a Content-Length (0 for no body)");
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    return Admit(req, res) ? httplib::Server::HandlerResponse::Unhandled
                           : httplib::Server::HandlerResponse::Handled;
  });
  server_->Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
    Login(req, res);
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kWebPage, "text/html; charset=utf-8");
  });
  // Flink-shaped paths (flink_rest.h); errors as Flink's {"errors": [...]}.
  auto json = [](httplib::Response& res, const nlohmann::json& body, int status = 200) {
    Reply(res, status, body);
  };
  server_->Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kOpenApiJson, "application/json");
  });
  server_->Get("/config", [json](const httplib::Request&, httplib::Response& res) {
    json(res, FlinkConfig());
  });
  server_->Get("/overview", [this, json](const httplib::Request&, httplib::Response& res) {
    json(res, FlinkOverview(dispatcher_->ListJobs(), dispatcher_->ListTaskManagers()));
  });
  server_->Get("/jobs", [this, json](const httplib::Request&, httplib::Response& res) {
    json(res, FlinkJobIds(dispatcher_->ListJobs()));
  });
  server_->Get("/jobs/overview", [this, json](const httplib::Request&, httplib::Response& res) {
    nlohmann::json jobs = nlohmann::json::array();
    const int64_t now = absl::ToUnixMillis(absl::Now());
    for (const auto& job : dispatcher_->ListJobs()) jobs.push_back(FlinkJobOverview(job, now));
    json(res, {{"jobs", jobs}});
  });
  // GET /jobs/:jid[/...]: a view of the job's status, or Flink's 404 body for an unknown job
  // (or vertex).
  using JobView =
      std::function<absl::StatusOr<nlohmann::json>(const proto::JobStatus&, const httplib::Request&)>;
  auto job_get = [this, json](const std::string& pattern, JobView view) {
    server_->Get(pattern, [this, json, view](const httplib::Request& req, httplib::Response& res) {
      auto status = dispatcher_->GetJobStatus(req.matches[1]);
      if (!status.ok()) return json(res, FlinkErrors(std::string(status.status().message())), 404);
      auto body = view(*status, req);
      if (!body.ok()) return json(res, FlinkErrors(std::string(body.status().message())), 404);
      json(res, *body);
    });
  };
  const std::string job_path = R"(/jobs/([0-9a-f]{32}))";
  const std::string vertex_path = job_path + R"(/vertices/([0-9a-f]{32}))";
  // The job: EventCluster's status (operators, subtasks, channels) with Flink's JobDetailsInfo.
  job_get(job_path, [](const proto::JobStatus& job, const httplib::Request&) {
    nlohmann::json out = JobStatusToJson(job);
    nlohmann::json details = FlinkJobDetails(job, absl::ToUnixMillis(absl::Now()));
    for (auto& [key, value] : details.items()) out[key] = std::move(value);
    return out;
  });
  job_get(job_path + "/status", [](const proto::JobStatus& job, const httplib::Request&) {
    return nlohmann::json{{"status", FlinkJobState(job.state())}};
  });
  job_get(job_path + "/checkpoints", [](const proto::JobStatus& job, const httplib::Request&) {
    return FlinkCheckpoints(job);
  });
  job_get(job_path + "/config", [](const proto::JobStatus& job, const httplib::Request&) {
    return FlinkJobConfig(job);
  });
  job_get(job_path + "/checkpoints/config",
          [](const proto::JobStatus& job, const httplib::Request&) {
            return FlinkCheckpointConfig(job);
          });
  job_get(job_path + "/exceptions", [](const proto::JobStatus& job, const httplib::Request&) {
    return FlinkExceptions(job);
  });
  // A vertex's subtasks and its back pressure; vertex ids as /jobs/:jid's vertices name them.
  job_get(vertex_path, [this](const proto::JobStatus& job, const httplib::Request& req) {
    return FlinkVertexDetails(job, VertexOfFlinkId(req.matches[2]),
                              dispatcher_->ListTaskManagers(), absl::ToUnixMillis(absl::Now()));
  });
  job_get(vertex_path + "/watermarks", [](const proto::JobStatus& job,
                                          const httplib::Request& req) {
    return FlinkWatermarks(job, VertexOfFlinkId(req.matches[2]));
  });
  job_get(vertex_path + "/backpressure", [](const proto::JobStatus& job,
                                            const httplib::Request& req) {
    return FlinkBackPressure(job, VertexOfFlinkId(req.matches[2]), absl::ToUnixMillis(absl::Now()));
  });
  // Savepoints and stop-with-savepoint, asynchronous as in Flink: 202 and a request-id to poll.
  server_->Post(job_path + "/savepoints", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
    StartSavepoint(req, res, /*stop=*/false);
  });
  server_->Post(job_path + "/stop", [this](const httplib::Request& req, httplib::Response& res) {
    StartSavepoint(req, res, /*stop=*/true);
  });
  server_->Get(job_path + R"(/savepoints/([0-9a-f]{32}))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 ReplyOperation(req, res, "savepoint");
               });
  // Flink's rescaling trigger: PATCH /jobs/:jid/rescaling?parallelism=N, then poll
  // /jobs/:jid/rescaling/:triggerid (here it rescales through a checkpoint, as `ecctl rescale`).
  server_->Patch(job_path + "/rescaling", [this](const httplib::Request& req,
                                                 httplib::Response& res) {
    int parallelism = 0;
    if (!req.has_param("parallelism") ||
        !absl::SimpleAtoi(req.get_param_value("parallelism"), &parallelism) || parallelism < 1) {
      return Error(res, 400, "parallelism: expected a positive integer query parameter");
    }
    const std::string job = req.matches[1];
    StartOperation(req, res, "rescaling", absl::StrCat("rescale to ", parallelism),
                   [this, job, parallelism]() -> absl::StatusOr<std::string> {
                     absl::Status s = dispatcher_->RescaleJob(job, parallelism);
                     if (!s.ok()) return s;
                     return std::string();
                   });
  });
  server_->Get(job_path + R"(/rescaling/([0-9a-f]{32}))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 ReplyOperation(req, res, "rescaling");
               });
  // Flink's jar paths, for job files: upload (multipart, part "jarfile" as Flink's web UI sends
  // it), list, run with arguments, delete. Ids are the server's own names.
  if (uploads_ != nullptr) {
    const std::string upload_path = R"(/jars/([0-9a-f]{32}\.json))";
    server_->Post("/jars/upload", [this, json](const httplib::Request& req,
                                               httplib::Response& res) {
      if (!req.is_multipart_form_data() || !req.has_file("jarfile")) {
        return json(res, FlinkErrors("expected a multipart/form-data body with a 'jarfile' part"),
                    400);
      }
      const httplib::MultipartFormData file = req.get_file_value("jarfile");
      auto stored = uploads_->Store(file.filename, file.content);
      if (!stored.ok()) return Error(res, stored.status());
      Logger("audit")->info("user={} role=admin action=\"upload\" job=- upload={}",
                            RequestUser(req), stored->id);
      json(res, {{"filename", stored->id}, {"status", "success"}});
    });
    server_->Get("/jars", [this, json](const httplib::Request& req, httplib::Response& res) {
      nlohmann::json files = nlohmann::json::array();
      for (const UploadedJob& job : uploads_->List()) {
        files.push_back({{"id", job.id},
                         {"name", job.name},
                         {"uploaded", job.uploaded_ms},
                         {"entry", nlohmann::json::array(
                                       {{{"name", "job file"}, {"description", nullptr}}})}});
      }
      json(res, {{"address", absl::StrCat(https_ ? "https://" : "http://",
                                          req.get_header_value("Host"))},
                 {"files", files}});
    });
    server_->Post(upload_path + "/run", [this](const httplib::Request& req,
                                               httplib::Response& res) { RunUpload(req, res); });
    server_->Delete(upload_path, [this, json](const httplib::Request& req,
                                              httplib::Response& res) {
      absl::Status s = uploads_->Delete(req.matches[1]);
      if (!s.ok()) return json(res, FlinkErrors(std::string(s.message())), 404);
      Logger("audit")->info("user={} role=admin action=\"delete upload\" job=- upload={}",
                            RequestUser(req), std::string(req.matches[1]));
      json(res, nlohmann::json::object());
    });
  }
  // PATCH /jobs/:jid?mode=cancel, 202 Accepted as Flink answers (the cancel goes on).
  server_->Patch(R"(/jobs/([0-9a-f]{32}))", [this, json](const httplib::Request& req,
                                                          httplib::Response& res) {
    const std::string mode = req.has_param("mode") ? req.get_param_value("mode") : "cancel";
    if (mode != "cancel") {
      return json(res, FlinkErrors("mode '" + mode + "': only mode=cancel is supported"), 400);
    }
    const std::string job = req.matches[1];
    absl::Status s = dispatcher_->CancelJob(job);
    if (!s.ok()) return Error(res, s);
    Logger("audit")->info("user={} role=admin action=\"cancel\" job={} via=REST",
                          RequestUser(req), job);
    json(res, nlohmann::json::object(), 202);
  });
  server_->Get("/taskmanagers", [this, json](const httplib::Request&, httplib::Response& res) {
    json(res, FlinkTaskManagers(dispatcher_->ListTaskManagers()));
  });
  // One TaskManager: its /taskmanagers entry (Flink's details add JVM metrics: left out).
  server_->Get(R"(/taskmanagers/([^/]+))", [this, json](const httplib::Request& req,
                                                       httplib::Response& res) {
    // Named: a range-for over a member of a temporary would outlive the temporary.
    const nlohmann::json all = FlinkTaskManagers(dispatcher_->ListTaskManagers());
    for (const auto& tm : all["taskmanagers"]) {
      if (tm["id"] == req.matches[1].str()) return json(res, tm);
    }
    json(res, FlinkErrors("no TaskManager " + req.matches[1].str()), 404);
  });
  // A TaskManager's log, read from it (Flink's JobManager fetches it from the TaskExecutor).
  server_->Get(R"(/taskmanagers/([^/]+)/log)", [this](const httplib::Request& req,
                                                      httplib::Response& res) {
    auto text = dispatcher_->ReadTaskManagerLog(req.matches[1], int64_t{1} << 20);
    if (!text.ok()) return Error(res, text.status());
    res.set_content(*std::move(text), "text/plain; charset=utf-8");
  });
  // Prometheus scrapes the JobManager's scope here (prometheus_metrics.h).
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(PrometheusMetrics(dispatcher_->ListJobs(), dispatcher_->ListTaskManagers(),
                                      absl::ToUnixMillis(absl::Now()), metrics_prefix_),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  // A handler that throws answers 500 and is logged; the process goes on.
  server_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr thrown) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(thrown);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        Logger("rest")->error("{} {}: {}", req.method, absl::CHexEscape(req.path), what);
        Error(res, 500, "internal error; the JobManager's log says more");
      });
  // Every other path: Flink's 404 body.
  server_->set_error_handler([json](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      json(res, FlinkErrors("Not found: " + req.path), 404);
    }
  });
}

RestServer::~RestServer() { Stop(); }

void RestServer::ServeLogs(const std::string& log_file) {
  const fs::path file(log_file);
  const fs::path dir = file.parent_path();
  const std::string base = file.filename().string();
  // The current file and its rotated ones (base.1, base.2, ...): the only names served.
  auto is_log = [base](const std::string& name) {
    if (name == base) return true;
    if (name.size() <= base.size() + 1 || name.compare(0, base.size() + 1, base + ".") != 0) {
      return false;
    }
    return std::all_of(name.begin() + base.size() + 1, name.end(), absl::ascii_isdigit);
  };
  // The last `max_bytes` of a file, or nullopt after answering 404.
  auto send_file = [](const fs::path& path, size_t max_bytes, httplib::Response& res) {
    auto text = ReadFileTail(path.string(), max_bytes);
    if (!text.ok()) return Error(res, 404, text.status().message());
    res.set_content(*std::move(text), "text/plain; charset=utf-8");
  };
  server_->Get("/jobmanager/log", [file, send_file](const httplib::Request&,
                                                     httplib::Response& res) {
    send_file(file, size_t{1} << 20, res);
  });
  server_->Get("/jobmanager/logs", [dir, is_log](const httplib::Request&, httplib::Response& res) {
    nlohmann::json logs = nlohmann::json::array();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!is_log(name) || !entry.is_regular_file(ec)) continue;
      const auto mtime = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::file_clock::to_sys(entry.last_write_time(ec)).time_since_epoch());
      logs.push_back({{"name", name}, {"size", entry.file_size(ec)}, {"mtime", mtime.count()}});
    }
    Reply(res, 200, {{"logs", logs}});
  });
  server_->Get(R"(/jobmanager/logs/([^/]+))", [dir, is_log, send_file](const httplib::Request& req,
                                                                       httplib::Response& res) {
    const std::string name = req.matches[1];
    if (!is_log(name)) return Error(res, 404, "no log file " + name);
    send_file(dir / name, std::numeric_limits<size_t>::max(), res);
  });
}

bool RestServer::Start(const std::string& host, int port) {
  if (!server_->is_valid()) return false;  // an SSLServer whose certificate did not load
  if (!server_->bind_to_port(host, port)) return false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is lost on a server not yet listening: Stop() must find it running.
  for (int i = 0; i < 1000 && !server_->is_running(); ++i) absl::SleepFor(absl::Milliseconds(5));
  return true;
}

void RestServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, thread] : operation_threads_) threads.push_back(std::move(thread));
    operation_threads_.clear();
  }
  for (auto& t : threads) t.join();  // savepoints end by their own timeout
}

}  // namespace ec
