// The REST server's answers in Flink's shapes.
#include "jobmanager/rest_reply.h"

#include <string>

#include "jobmanager/flink_rest.h"

namespace ec {

void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void Error(httplib::Response& res, int status, absl::string_view message) {
  Reply(res, status, FlinkErrors(std::string(message)));
}

void Error(httplib::Response& res, const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return Error(res, 400, status.message());
    case absl::StatusCode::kNotFound:
      return Error(res, 404, status.message());
    case absl::StatusCode::kFailedPrecondition:
      return Error(res, 409, status.message());
    case absl::StatusCode::kResourceExhausted:
      return Error(res, 429, status.message());
    case absl::StatusCode::kUnavailable:
      return Error(res, 503, status.message());
    default:
      return Error(res, 500, status.message());
  }
}

std::optional<nlohmann::json> ObjectBody(const httplib::Request& req, httplib::Response& res) {
  auto body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    Error(res, 400, "request body: expected a JSON object");
    return std::nullopt;
  }
  return body;
}

}  // namespace ec
