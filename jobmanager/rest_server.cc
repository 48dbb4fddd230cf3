// HTTP API over cpp-httplib.
#include "jobmanager/rest_server.h"

#include <httplib.h>

#include "proto/status_json.h"

namespace ec {
namespace {

constexpr const char* kPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>EventCluster</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>EventCluster</h1><h2>Jobs</h2><table id="jobs"></table>
<h2>TaskManagers</h2><table id="tms"></table>
<script>
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
async function refresh(){
  const jobs=await (await fetch('/jobs')).json();
  let h='<tr><th>id</th><th>name</th><th>state</th><th>operator</th><th>records in</th><th>records out</th><th>bytes in</th><th>bytes out</th><th>subtasks</th></tr>';
  for(const j of jobs){for(const o of j.operators){const subs=(o.subtasks||[]).map(s=>esc(`${s.subtask}: ${s.taskmanager_id||'-'} ${s.state}`)).join('<br>');h+=`<tr><td>${esc(j.id)}</td><td>${esc(j.name)}</td><td>${esc(j.state)}</td><td>${esc(o.name)}</td><td>${o.records_in}</td><td>${o.records_out}</td><td>${o.bytes_in}</td><td>${o.bytes_out}</td><td>${subs}</td></tr>`}}
  document.getElementById('jobs').innerHTML=h;
  const tms=await (await fetch('/taskmanagers')).json();
  let t='<tr><th>id</th><th>address</th><th>slots</th><th>free</th></tr>';
  for(const m of tms){t+=`<tr><td>${esc(m.id)}</td><td>${esc(m.address)}</td><td>${m.slots}</td><td>${m.free_slots}</td></tr>`}
  document.getElementById('tms').innerHTML=t;
}
refresh();setInterval(refresh,2000);
</script></body></html>)";

}  // namespace

RestServer::RestServer(Dispatcher* dispatcher)
    : dispatcher_(dispatcher), server_(std::make_unique<httplib::Server>()) {
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

bool RestServer::Start(int port) {
  if (!server_->bind_to_port("0.0.0.0", port)) return false;
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
