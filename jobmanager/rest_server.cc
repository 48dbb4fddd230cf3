// HTTP API over cpp-httplib.
#include "jobmanager/rest_server.h"

#include <httplib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "proto/status_json.h"
#include "runtime/logging.h"

namespace ec {
namespace {

constexpr const char* kPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>EventCluster</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>EventCluster</h1>
<form id="login" style="display:none">Token: <input id="token" type="password" autocomplete="off">
<button>Log in</button> <span id="why"></span></form>
<h2>Jobs</h2><table id="jobs"></table>
<h2>TaskManagers</h2><table id="tms"></table>
<script>
document.getElementById('login').onsubmit=async e=>{e.preventDefault();
  const r=await fetch('/login',{method:'POST',headers:{'Content-Type':'application/json','X-EC-Request':'1'},
    body:JSON.stringify({token:document.getElementById('token').value})});
  document.getElementById('token').value='';
  if(r.ok){document.getElementById('login').style.display='none';refresh()}
  else document.getElementById('why').textContent=(await r.json()).error};
async function get(path){const r=await fetch(path);
  if(r.status==401){document.getElementById('login').style.display='block';throw new Error('login')}
  return r.json()}
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
async function refresh(){
  const jobs=await get('/jobs');
  let h='<tr><th>id</th><th>name</th><th>state</th><th>operator</th><th>records in</th><th>records out</th><th>bytes in</th><th>bytes out</th><th>subtasks</th></tr>';
  for(const j of jobs){for(const o of j.operators){const subs=(o.subtasks||[]).map(s=>esc(`${s.subtask}: ${s.taskmanager_id||'-'} ${s.state}`)).join('<br>');h+=`<tr><td>${esc(j.id)}</td><td>${esc(j.name)}</td><td>${esc(j.state)}</td><td>${esc(o.name)}</td><td>${o.records_in}</td><td>${o.records_out}</td><td>${o.bytes_in}</td><td>${o.bytes_out}</td><td>${subs}</td></tr>`}}
  document.getElementById('jobs').innerHTML=h;
  const tms=await get('/taskmanagers');
  let t='<tr><th>id</th><th>address</th><th>slots</th><th>free</th></tr>';
  for(const m of tms){t+=`<tr><td>${esc(m.id)}</td><td>${esc(m.address)}</td><td>${m.slots}</td><td>${m.free_slots}</td></tr>`}
  document.getElementById('tms').innerHTML=t;
}
refresh().catch(()=>{});setInterval(()=>refresh().catch(()=>{}),2000);
</script></body></html>)";

constexpr char kSessionCookie[] = "ec_session";
constexpr absl::Duration kSessionLifetime = absl::Hours(8);

void Error(httplib::Response& res, int status, absl::string_view message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

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

bool RestServer::Admit(const httplib::Request& req, httplib::Response& res) {
  if (!tokens_) return true;
  if (req.path == "/" || (req.path == "/login" && req.method == "POST")) return true;
  std::string token(BearerToken(req.get_header_value("Authorization")));
  if (token.empty()) {
    const std::string session = CookieValue(req, kSessionCookie);
    if (!session.empty()) {
      absl::MutexLock lock(&mu_);
      auto it = sessions_.find(session);
      if (it != sessions_.end() && it->second.expires > absl::Now()) token = it->second.token;
    }
    if (!token.empty() && ChangesState(req) && !req.has_header("X-EC-Request")) {
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
    sessions_[session] = Session{token, now + kSessionLifetime};
  }
  Logger("audit")->info("user={} role={} action=\"login\" job=-", user->name, RoleName(user->role));
  res.set_header("Set-Cookie",
                 absl::StrCat(kSessionCookie, "=", session, "; Path=/; HttpOnly; SameSite=Strict; Max-Age=",
                              absl::ToInt64Seconds(kSessionLifetime), https_ ? "; Secure" : ""));
  res.set_content(nlohmann::json{{"user", user->name}, {"role", RoleName(user->role)}}.dump(),
                  "application/json");
}

RestServer::RestServer(Dispatcher* dispatcher, UserTokens* tokens, const TlsFiles& tls)
    : dispatcher_(dispatcher),
      tokens_(tokens),
      https_(tls.server_enabled()),
      server_(https_ ? std::make_unique<httplib::SSLServer>(tls.cert.c_str(), tls.key.c_str())
                     : std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(1 << 20);
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Admit(req, res) ? httplib::Server::HandlerResponse::Unhandled
                           : httplib::Server::HandlerResponse::Handled;
  });
  server_->Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
    Login(req, res);
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kPage, "text/html");
  });
  server_->Get("/jobs", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& job : dispatcher_->ListJobs()) out.push_back(JobStatusToJson(job));
    res.set_content(out.dump(), "application/json");
  });
  server_->Get(R"(/jobs/([0-9a-f]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto status = dispatcher_->GetJobStatus(req.matches[1]);
    if (!status.ok()) {
      res.status = 404;
      res.set_content(nlohmann::json{{"error", status.status().message()}}.dump(),
                      "application/json");
      return;
    }
    res.set_content(JobStatusToJson(*status).dump(), "application/json");
  });
  server_->Get("/taskmanagers", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& tm : dispatcher_->ListTaskManagers()) out.push_back(TaskManagerToJson(tm));
    res.set_content(out.dump(), "application/json");
  });
}

RestServer::~RestServer() { Stop(); }

bool RestServer::Start(const std::string& host, int port) {
  if (!server_->is_valid()) return false;  // an SSLServer whose certificate did not load
  if (!server_->bind_to_port(host, port)) return false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

void RestServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace ec
