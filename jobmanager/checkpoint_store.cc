// Durable checkpoint metadata files.
#include "jobmanager/checkpoint_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "runtime/state/subtask_state.h"
#include "runtime/util/atomic_file.h"

namespace ec {
namespace fs = std::filesystem;

std::string CheckpointStore::JobDir(const std::string& job_id) const {
  return (fs::path(root_) / job_id).string();
}

absl::StatusOr<StoredCheckpoint> CheckpointStore::Write(const std::string& job_id,
                                                        int64_t checkpoint_id,
                                                        int64_t trigger_time_ms,
                                                        const CheckpointData& data) {
  const fs::path job_dir = fs::path(root_) / job_id;
  auto stored = WriteMetadata((job_dir / absl::StrCat("chk-", checkpoint_id)).string(), job_id,
                              checkpoint_id, trigger_time_ms, data, "..");
  if (!stored.ok()) return stored;
  // The size shown is the full size: metadata plus every state file, shared or not.
  std::error_code ec;
  for (const auto& file : data.files) {
    const auto size = fs::file_size(job_dir / file, ec);
    if (!ec) stored->size_bytes += static_cast<int64_t>(size);
  }
  DropOld(job_dir.string());
  return stored;
}

absl::StatusOr<StoredCheckpoint> CheckpointStore::WriteTo(
    const std::string& dir_path, const std::string& job_id, int64_t checkpoint_id,
    int64_t trigger_time_ms, const CheckpointData& data, const std::string& files_from) {
  const fs::path dir(dir_path);
  std::error_code ec;
  int64_t copied = 0;
  for (const auto& file : data.files) {
    const fs::path to = dir / file;
    fs::create_directories(to.parent_path(), ec);
    fs::copy_file(fs::path(files_from) / file, to, fs::copy_options::overwrite_existing, ec);
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("savepoint: cannot copy ", file, ": ", ec.message()));
    int fd = open(to.c_str(), O_RDONLY | O_CLOEXEC);
    const bool synced = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (!synced)
      return absl::UnavailableError(absl::StrCat("savepoint: cannot sync ", to.string()));
    copied += static_cast<int64_t>(fs::file_size(to, ec));
  }
  auto stored = WriteMetadata(dir_path, job_id, checkpoint_id, trigger_time_ms, data, ".");
  if (stored.ok()) stored->size_bytes += copied;
  return stored;
}

absl::StatusOr<StoredCheckpoint> CheckpointStore::WriteMetadata(
    const std::string& dir_path, const std::string& job_id, int64_t checkpoint_id,
    int64_t trigger_time_ms, const CheckpointData& data, const std::string& files_base) {
  nlohmann::json meta;
  meta["job_id"] = job_id;
  meta["checkpoint_id"] = checkpoint_id;
  meta["trigger_time_ms"] = trigger_time_ms;
  meta["parallelism"] = data.parallelism;
  meta["max_parallelism"] = data.max_parallelism;
  nlohmann::json operators = nlohmann::json::object();
  for (const auto& [name, bytes] : data.state) operators[name] = absl::Base64Escape(bytes);
  meta["operators"] = operators;
  meta["files"] = data.files;
  meta["files_base"] = files_base;
  const std::string text = meta.dump();
  const fs::path dir(dir_path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::UnavailableError(
        absl::StrCat("checkpoint dir ", dir.string(), ": ", ec.message()));
  if (auto written = WriteFileAtomically((dir / "_metadata").string(), text); !written.ok()) {
    return written;
  }
  return StoredCheckpoint{dir.string(), static_cast<int64_t>(text.size())};
}

absl::StatusOr<StoredCheckpoint> CheckpointStore::RetireFrom(const std::string& job_id,
                                                             int64_t checkpoint_id) {
  std::error_code ec;
  int64_t newest = 0;
  fs::path newest_path;
  for (const auto& entry : fs::directory_iterator(JobDir(job_id), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("chk-", 0) != 0) continue;
    const int64_t id = std::stoll(name.substr(4));
    if (id >= checkpoint_id) {
      fs::remove_all(entry.path(), ec);
    } else if (id > newest) {
      newest = id;
      newest_path = entry.path();
    }
  }
  if (newest == 0) {
    return absl::NotFoundError(
        absl::StrCat("no checkpoint of job ", job_id, " older than ", checkpoint_id, " retained"));
  }
  return StoredCheckpoint{newest_path.string(), 0};
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

  // Shared files: keep what a retained checkpoint refers to. Only called right after a
  // checkpoint completed, when no task is writing files for another one.
  std::set<std::string> referenced;
  for (size_t i = found.size() > static_cast<size_t>(retained_) ? found.size() - retained_ : 0;
       i < found.size(); ++i) {
    auto data = Read(found[i].second.string());
    if (!data.ok()) return;  // unsure what is referenced: delete nothing
    referenced.insert(data->files.begin(), data->files.end());
  }
  for (const auto& entry : fs::directory_iterator(fs::path(job_dir) / "shared", ec)) {
    const std::string rel = absl::StrCat("shared/", entry.path().filename().string());
    if (!referenced.contains(rel)) fs::remove(entry.path(), ec);
  }
}

namespace {

// A state file as checkpoints name it: "shared/<file name>", nothing that climbs or roots.
bool IsSharedFileName(const std::string& file) {
  constexpr std::string_view kShared = "shared/";
  if (file.rfind(kShared, 0) != 0) return false;
  const std::string_view name = std::string_view(file).substr(kShared.size());
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

}  // namespace

absl::StatusOr<CheckpointData> CheckpointStore::Read(const std::string& path) {
  std::ifstream in(fs::path(path) / "_metadata");
  if (!in) return absl::NotFoundError(absl::StrCat("no checkpoint metadata in ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto meta = nlohmann::json::parse(text.str(), nullptr, false);
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("checkpoint metadata in ", path, " is corrupt (", what, ")"));
  };
  if (meta.is_discarded() || !meta.is_object() || !meta.contains("operators") ||
      !meta["operators"].is_object()) {
    return corrupt("operators");
  }
  CheckpointData data;
  // Written before jobs ran in parallel: one subtask, its state by plain operator name.
  const bool single_subtask_format = !meta.contains("parallelism");
  for (const auto& [name, encoded] : meta["operators"].items()) {
    std::string bytes;
    if (!encoded.is_string() || !absl::Base64Unescape(encoded.get<std::string>(), &bytes)) {
      return absl::DataLossError(
          absl::StrCat("checkpoint ", path, ": state of ", name, " is corrupt"));
    }
    data.state[single_subtask_format ? SubtaskStateKey(name, 0) : name] = std::move(bytes);
  }
  if (!single_subtask_format) {
    const auto& parallelism = meta["parallelism"];
    const auto max_parallelism = meta.value("max_parallelism", nlohmann::json(128));
    if (!parallelism.is_number_integer() || !max_parallelism.is_number_integer() ||
        parallelism.get<int64_t>() < 1 || max_parallelism.get<int64_t>() > 32768 ||
        max_parallelism.get<int64_t>() < parallelism.get<int64_t>()) {
      return corrupt("parallelism");
    }
    data.parallelism = parallelism.get<int>();
    data.max_parallelism = max_parallelism.get<int>();
  }
  // The state files: under the job's (checkpoint) or the savepoint's own (".") shared/ folder,
  // never anywhere a hostile file could point a restore to.
  if (meta.contains("files")) {
    if (!meta["files"].is_array()) return corrupt("files");
    for (const auto& file : meta["files"]) {
      if (!file.is_string() || !IsSharedFileName(file.get<std::string>())) return corrupt("files");
      data.files.insert(file.get<std::string>());
    }
  }
  const auto base = meta.value("files_base", nlohmann::json("."));
  if (!base.is_string() || (base != "." && base != "..")) return corrupt("files_base");
  data.base_dir = (fs::path(path) / base.get<std::string>()).lexically_normal().string();
  while (data.base_dir.size() > 1 && data.base_dir.back() == '/') data.base_dir.pop_back();
  return data;
}

}  // namespace ec
