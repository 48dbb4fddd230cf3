// UserTokens: the token file, reloaded on change, and the 401/403 decision.
#include "runtime/security/user_tokens.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/logging.h"
#include "runtime/security/cluster_secret.h"

namespace ec {

absl::string_view RoleName(Role role) { return role == Role::kAdmin ? "admin" : "viewer"; }

absl::StatusOr<std::vector<std::pair<User, std::string>>> ParseTokenFile(absl::string_view text) {
  std::vector<std::pair<User, std::string>> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": expected `name role token`, got ", fields.size(),
                       " field(s)"));
    }
    User user{std::string(fields[0]), Role::kViewer};
    if (fields[1] == "admin") {
      user.role = Role::kAdmin;
    } else if (fields[1] != "viewer") {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": role must be viewer or admin, not '",
                                                     fields[1], "'"));
    }
    if (fields[2].size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number, ": the token of ", user.name,
          " is shorter than 16 characters (make one with: openssl rand -hex 24)"));
    }
    entries.emplace_back(std::move(user), std::string(fields[2]));
  }
  return entries;
}

absl::StatusOr<std::unique_ptr<UserTokens>> UserTokens::Load(const std::string& path) {
  std::unique_ptr<UserTokens> tokens(new UserTokens(path));
  absl::MutexLock lock(&tokens->mu_);
  if (auto s = tokens->ReloadIfChanged(); !s.ok()) return s;
  return tokens;
}

absl::Status UserTokens::ReloadIfChanged() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read --auth-token-file ", path_));
  }
  if (st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec &&
      st.st_size == size_) {
    return absl::OkStatus();
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read --auth-token-file ", path_));
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseTokenFile(text.str());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auth-token-file ", path_, ": ", parsed.status().message()));
  }
  const bool first = size_ < 0;
  entries_ = *std::move(parsed);
  mtime_ = st.st_mtim;
  size_ = st.st_size;
  if (!first) Logger("security")->info("reloaded {}: {} token(s)", path_, entries_.size());
  return absl::OkStatus();
}

std::optional<User> UserTokens::Authenticate(absl::string_view bearer) {
  absl::MutexLock lock(&mu_);
  if (auto s = ReloadIfChanged(); !s.ok()) {
    Logger("security")->error("{}; keeping the {} token(s) read before", s.message(),
                              entries_.size());
    // Do not re-read a broken file on every request: remember its time and size.
    struct stat st {};
    if (stat(path_.c_str(), &st) == 0) {
      mtime_ = st.st_mtim;
      size_ = st.st_size;
    }
  }
  if (bearer.empty()) return std::nullopt;
  std::optional<User> found;
  for (const auto& [user, token] : entries_) {  // every entry, so timing tells nothing
    if (ConstantTimeEqual(bearer, token) && !found) found = user;
  }
  return found;
}

absl::string_view BearerToken(absl::string_view header) {
  constexpr absl::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() ||
      !absl::EqualsIgnoreCase(header.substr(0, kPrefix.size()), kPrefix)) {
    return {};
  }
  return absl::StripAsciiWhitespace(header.substr(kPrefix.size()));
}

Access Authorize(UserTokens* tokens, absl::string_view bearer, bool changes_state,
                 absl::string_view action) {
  if (!tokens) return Access{Access::kOk, User{"anonymous", Role::kAdmin}, ""};
  if (bearer.empty()) {
    return Access{Access::kUnauthenticated, std::nullopt,
                  "missing bearer token (ecctl --token-file FILE or EC_TOKEN)"};
  }
  std::optional<User> user = tokens->Authenticate(bearer);
  if (!user) return Access{Access::kUnauthenticated, std::nullopt, "unknown token"};
  if (changes_state && user->role != Role::kAdmin) {
    return Access{Access::kForbidden, user,
                  absl::StrCat("user ", user->name, " is a viewer and may not ", action)};
  }
  return Access{Access::kOk, user, ""};
}

}  // namespace ec
