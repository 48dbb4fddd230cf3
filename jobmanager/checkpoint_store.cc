// Durable checkpoint metadata files.
#include "jobmanager/checkpoint_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ec {
namespace fs = std::filesystem;

absl::StatusOr<StoredCheckpoint> CheckpointStore::Write(
    const std::string& job_id, int64_t checkpoint_id, int64_t trigger_time_ms,
    const std::map<std::string, std::string>& state) {
  const fs::path job_dir = fs::path(root_) / job_id;
  auto stored = WriteTo((job_dir / absl::StrCat("chk-", checkpoint_id)).string(), job_id,
                        checkpoint_id, trigger_time_ms, state);
  if (stored.ok()) DropOld(job_dir.string());
  return stored;
}

absl::StatusOr<StoredCheckpoint> CheckpointStore::WriteTo(
    const std::string& dir_path, const std::string& job_id, int64_t checkpoint_id,
    int64_t trigger_time_ms, const std::map<std::string, std::string>& state) {
  nlohmann::json meta;
  meta["job_id"] = job_id;
  meta["checkpoint_id"] = checkpoint_id;
  meta["trigger_time_ms"] = trigger_time_ms;
  nlohmann::json operators = nlohmann::json::object();
  for (const auto& [name, bytes] : state) operators[name] = absl::Base64Escape(bytes);
  meta["operators"] = operators;
  const std::string text = meta.dump();

  const fs::path dir(dir_path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("checkpoint dir ", dir.string(), ": ", ec.message()));
  const fs::path tmp = dir / "_metadata.tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot write ", tmp.string()));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("cannot write ", tmp.string()));
  fs::rename(tmp, dir / "_metadata", ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot rename ", tmp.string(), ": ", ec.message()));
  return StoredCheckpoint{dir.string(), static_cast<int64_t>(text.size())};
}

void CheckpointStore::DropOld(const std::string& job_dir) {
  std::vector<std::pair<int64_t, fs::path>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(job_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("chk-", 0) != 0) continue;
    found.emplace_back(std::stoll(name.substr(4)), entry.path());
  }
  std::sort(found.begin(), found.end());
  for (size_t i = 0; i + retained_ < found.size(); ++i) fs::remove_all(found[i].second, ec);
}

absl::StatusOr<std::map<std::string, std::string>> CheckpointStore::Read(const std::string& path) {
  std::ifstream in(fs::path(path) / "_metadata");
  if (!in) return absl::NotFoundError(absl::StrCat("no checkpoint metadata in ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto meta = nlohmann::json::parse(text.str(), nullptr, false);
  if (meta.is_discarded() || !meta.contains("operators")) {
    return absl::DataLossError(absl::StrCat("checkpoint metadata in ", path, " is corrupt"));
  }
  std::map<std::string, std::string> state;
  for (const auto& [name, encoded] : meta["operators"].items()) {
    std::string bytes;
    if (!absl::Base64Unescape(encoded.get<std::string>(), &bytes)) {
      return absl::DataLossError(absl::StrCat("checkpoint ", path, ": state of ", name, " is corrupt"));
    }
    state[name] = bytes;
  }
  return state;
}

}  // namespace ec
