// UserTokens: who may use the client API (ecctl's gRPC service, REST), read from
// --auth-token-file. Lines `name role token`, role `viewer` (reads) or `admin` (also changes:
// submit, cancel, savepoint, stop, rescale); `#` starts a comment. The file is read again when
// its modification time or size changes, so tokens are added and revoked without a restart; a
// file that no longer parses keeps the last good list and logs why.
#pragma once

#include "absl/strings/string_view.h"
#include <sys/types.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace ec {

enum class Role { kViewer, kAdmin };

struct User {
  std::string name;
  Role role = Role::kViewer;
};

// Parses the file's text; InvalidArgument naming the line (never its token) on a bad line.
absl::StatusOr<std::vector<std::pair<User, std::string>>> ParseTokenFile(absl::string_view text);

class UserTokens {
 public:
  // Reads `path` once; the error names the file and the line.
  static absl::StatusOr<std::unique_ptr<UserTokens>> Load(const std::string& path);

  // The user whose token `bearer` is (compared in constant time against every entry), after
  // reloading the file if it changed; nullopt when none.
  std::optional<User> Authenticate(absl::string_view bearer);

 private:
  explicit UserTokens(std::string path) : path_(std::move(path)) {}
  absl::Status ReloadIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  std::vector<std::pair<User, std::string>> entries_ ABSL_GUARDED_BY(mu_);
  timespec mtime_ ABSL_GUARDED_BY(mu_) = {};
  off_t size_ ABSL_GUARDED_BY(mu_) = -1;
};

// The outcome of checking one request: OK with the user, or the refusal (401 or 403).
struct Access {
  enum Code { kOk, kUnauthenticated, kForbidden } code = kOk;
  std::optional<User> user;
  std::string reason;  // for the response: "missing bearer token", "viewer may not submit", …
};

// The token from an `authorization: Bearer <token>` header value ("" when not of that form).
absl::string_view BearerToken(absl::string_view header);

// Decides a request: `tokens` null means authentication is off (everyone is an anonymous admin).
Access Authorize(UserTokens* tokens, absl::string_view bearer, bool changes_state,
                 absl::string_view action);

absl::string_view RoleName(Role role);

}  // namespace ec
