// The REST server's asynchronous operations (Flink's trigger and poll): savepoints, stops and
// rescales, each on its own thread.
#include <httplib.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "jobmanager/rest_reply.h"
#include "jobmanager/rest_server.h"
#include "runtime/logging.h"
#include "runtime/security/cluster_secret.h"

namespace ec {

void RestServer::StartSavepoint(const httplib::Request& req, httplib::Response& res, bool stop) {
  const std::string job = req.matches[1];
  std::optional<nlohmann::json> parsed = ObjectBody(req, res);
  if (!parsed) return;
  nlohmann::json& body = *parsed;
  // Flink's field names: savepoints' "target-directory" and "cancel-job", stop's
  // "targetDirectory" (and "drain", which stop always does here: the sources end first).
  const char* dir_field = stop ? "targetDirectory" : "target-directory";
  std::string dir;
  if (body.contains(dir_field) && !body[dir_field].is_null()) {
    if (!body[dir_field].is_string()) {
      return Error(res, 400, absl::StrCat(dir_field, ": expected a string"));
    }
    dir = body[dir_field].get<std::string>();
  }
  if (body.contains("cancel-job") && body["cancel-job"].is_boolean() && body["cancel-job"]) {
    stop = true;
  }
  StartOperation(req, res, "savepoint", stop ? "stop" : "savepoint",
                 [this, job, dir, stop] { return dispatcher_->TriggerSavepoint(job, dir, stop); });
}

void RestServer::StartOperation(const httplib::Request& req, httplib::Response& res,
                                const std::string& kind, const std::string& action,
                                std::function<absl::StatusOr<std::string>()> work) {
  const std::string job = req.matches[1];
  auto status = dispatcher_->GetJobStatus(job);
  if (!status.ok()) return Error(res, 404, status.status().message());
  const std::string request_id = HexEncode(RandomBytes(16));
  const std::string user = RequestUser(req);
  std::vector<std::thread> ended;  // joined below, outside the lock
  int running = 0;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = operations_.begin(); it != operations_.end();) {
      auto next = std::next(it);
      if (!it->second.done) {
        ++running;
      } else {
        if (auto thread = operation_threads_.extract(it->first)) {
          ended.push_back(std::move(thread.mapped()));
        }
        if (absl::Now() - it->second.ended > kOperationKept) operations_.erase(it);
      }
      it = next;
    }
    if (running < kOperationsRunning) {
      operations_[request_id] = Operation{.kind = kind, .job = job};
      operation_threads_[request_id] = std::thread([this, work = std::move(work), request_id] {
        absl::StatusOr<std::string> result = work();
        absl::MutexLock lock(&mu_);
        Operation& op = operations_[request_id];
        op.done = true;
        op.ended = absl::Now();
        if (result.ok()) {
          op.location = *result;
        } else {
          op.failure = std::string(result.status().message());
        }
      });
    }
  }
  for (auto& thread : ended) thread.join();
  if (running >= kOperationsRunning) {
    return Error(res, 429,
                 absl::StrCat(running, " operations asked for over REST (savepoints, stops, "
                                       "rescales) are still running; poll one until it has "
                                       "ended, then ask again"));
  }
  Logger("audit")->info("user={} role=admin action=\"{}\" job={} via=REST", user, action, job);
  Reply(res, 202, {{"request-id", request_id}});
}

void RestServer::ReplyOperation(const httplib::Request& req, httplib::Response& res,
                                const std::string& kind) {
  Operation op;
  {
    absl::MutexLock lock(&mu_);
    auto it = operations_.find(std::string(req.matches[2]));
    if (it == operations_.end() || it->second.job != req.matches[1] || it->second.kind != kind) {
      return Error(res, 404, absl::StrCat("unknown ", kind, " request ", std::string(req.matches[2])));
    }
    op = it->second;
  }
  nlohmann::json operation = nlohmann::json::object();
  if (op.done && op.failure.empty() && !op.location.empty()) operation["location"] = op.location;
  if (op.done && !op.failure.empty()) {
    operation["failure-cause"] = {{"class", kind == "savepoint" ? "ec::SavepointFailure"
                                                                 : "ec::RescalingFailure"},
                                  {"stack-trace", op.failure},
                                  {"serialized-throwable", nullptr}};
  }
  Reply(res, 200,
        {{"status", {{"id", op.done ? "COMPLETED" : "IN_PROGRESS"}}},
         {"operation", op.done ? operation : nlohmann::json()}});
}

}  // namespace ec
