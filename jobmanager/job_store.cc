// Durable job records.
#include "jobmanager/job_store.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "runtime/logging.h"
#include "runtime/util/atomic_file.h"

namespace ec {
namespace fs = std::filesystem;

absl::Status JobStore::Save(const StoredJob& job) {
  if (dir_.empty()) return absl::OkStatus();
  nlohmann::json j = {{"id", job.id},
                      {"spec", job.spec_json},
                      {"state", job.state},
                      {"failure", job.failure},
                      {"submitted_ms", job.submitted_ms},
                      {"attempt", job.attempt},
                      {"restarts", job.restarts},
                      {"latest_checkpoint_id", job.latest_checkpoint_id},
                      {"latest_checkpoint_path", job.latest_checkpoint_path}};
  const std::string text = j.dump();
  std::error_code ec;
  fs::create_directories(dir_, ec);
  return WriteFileAtomically((fs::path(dir_) / (job.id + ".json")).string(), text, 0600);
}

absl::Status JobStore::Remove(const std::string& id) {
  std::error_code ec;
  fs::remove(fs::path(dir_) / (id + ".json"), ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", id, ".json: ", ec.message()));
  return absl::OkStatus();
}

std::vector<StoredJob> JobStore::LoadAll() const {
  std::vector<StoredJob> jobs;
  std::error_code ec;
  if (dir_.empty() || !fs::exists(dir_, ec)) return jobs;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.contains("id") || !j.contains("spec")) {
      Logger("jobmanager")->warn("skipping unreadable job file {}", entry.path().string());
      continue;
    }
    StoredJob job;
    job.id = j.value("id", "");
    job.spec_json = j.value("spec", "");
    job.state = j.value("state", "");
    job.failure = j.value("failure", "");
    job.submitted_ms = j.value("submitted_ms", int64_t{0});
    job.attempt = j.value("attempt", int64_t{0});
    job.restarts = j.value("restarts", 0);
    job.latest_checkpoint_id = j.value("latest_checkpoint_id", int64_t{0});
    job.latest_checkpoint_path = j.value("latest_checkpoint_path", "");
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace ec
