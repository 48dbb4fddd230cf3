// The REST server's answers in Flink's shapes, shared by its handler files (rest_server.cc,
// rest_operations.cc).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ec {

// A JSON answer. Text from the request (a path, a file name) may be any bytes: invalid UTF-8
// is sent as U+FFFD rather than thrown about.
void Reply(httplib::Response& res, int status, const nlohmann::json& body);
// Flink's error body: {"errors": ["..."]}.
void Error(httplib::Response& res, int status, absl::string_view message);
// A refusal by the dispatcher or the upload store, with the HTTP status of its code (400,
// 404, 409, 429, 503, else 500).
void Error(httplib::Response& res, const absl::Status& status);
// A request's JSON object body ({} when empty), or nullopt after answering 400.
std::optional<nlohmann::json> ObjectBody(const httplib::Request& req, httplib::Response& res);

}  // namespace ec
