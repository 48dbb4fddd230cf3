// Uploaded job files under server-made names.
#include "jobmanager/job_uploads.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/security/cluster_secret.h"
#include "runtime/util/atomic_file.h"

namespace ec {
namespace fs = std::filesystem;

namespace {

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last path component of a client's file name, printable ASCII only: shown, never used.
std::string DisplayName(const std::string& client_name) {
  std::string name = client_name.substr(std::min(client_name.size(),
                                                 client_name.find_last_of("/\\") + 1));
  name.erase(std::remove_if(name.begin(), name.end(),
                            [](char c) { return !absl::ascii_isprint(static_cast<unsigned char>(c)); }),
             name.end());
  if (name.size() > 128) name.resize(128);
  return name.empty() ? "job.json" : name;
}

}  // namespace

bool JobUploads::IsUploadId(const std::string& id) {
  if (id.size() != 37 || !absl::EndsWith(id, ".json")) return false;
  return std::all_of(id.begin(), id.begin() + 32, [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

absl::StatusOr<UploadedJob> JobUploads::Store(const std::string& client_name,
                                              const std::string& content) {
  auto json = nlohmann::json::parse(content, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(
        "job file: not a JSON object (upload a job file such as examples/job.json)");
  }
  absl::MutexLock lock(&mu_);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("uploads: ", dir_, ": ", ec.message()));
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    count += IsUploadId(entry.path().filename().string()) ? 1 : 0;
  }
  if (count >= kMaxUploads) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "uploads: ", kMaxUploads, " job files are stored already; delete one (DELETE /jars/ID)"));
  }
  UploadedJob job;
  job.id = HexEncode(RandomBytes(16)) + ".json";
  job.name = DisplayName(client_name);
  job.uploaded_ms = absl::ToUnixMillis(absl::Now());
  const fs::path file = fs::path(dir_) / job.id;
  if (auto s = WriteFileAtomically(file.string(), content, 0600); !s.ok()) return s;
  const nlohmann::json meta = {{"name", job.name}, {"uploaded", job.uploaded_ms}};
  if (auto s = WriteFileAtomically(file.string() + ".name", meta.dump(), 0600); !s.ok()) {
    fs::remove(file, ec);
    return s;
  }
  return job;
}

std::vector<UploadedJob> JobUploads::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<UploadedJob> jobs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string id = entry.path().filename().string();
    if (!IsUploadId(id)) continue;
    auto meta = nlohmann::json::parse(ReadAll(entry.path().string() + ".name"), nullptr, false);
    UploadedJob job{id, "job.json", 0};
    if (meta.is_object() && meta.contains("name") && meta["name"].is_string()) {
      job.name = meta["name"].get<std::string>();
    }
    if (meta.is_object() && meta.contains("uploaded") && meta["uploaded"].is_number_integer()) {
      job.uploaded_ms = meta["uploaded"].get<int64_t>();
    }
    jobs.push_back(std::move(job));
  }
  std::sort(jobs.begin(), jobs.end(), [](const UploadedJob& a, const UploadedJob& b) {
    return a.uploaded_ms > b.uploaded_ms;  // newest first, as Flink lists them
  });
  return jobs;
}

absl::StatusOr<std::string> JobUploads::Read(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  const fs::path file = fs::path(dir_) / id;
  std::error_code ec;
  if (!IsUploadId(id) || !fs::is_regular_file(file, ec)) {
    return absl::NotFoundError(absl::StrCat("no uploaded job file ", id));
  }
  return ReadAll(file);
}

absl::Status JobUploads::Delete(const std::string& id) {
  absl::MutexLock lock(&mu_);
  const fs::path file = fs::path(dir_) / id;
  std::error_code ec;
  if (!IsUploadId(id) || !fs::remove(file, ec)) {
    return absl::NotFoundError(absl::StrCat("no uploaded job file ", id));
  }
  fs::remove(file.string() + ".name", ec);
  return absl::OkStatus();
}

}  // namespace ec
