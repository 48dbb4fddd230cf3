// Keyed state on RocksDB and its incremental snapshots.
#include "runtime/state/keyed_state_backend.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#define XXH_INLINE_ALL
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/utilities/checkpoint.h>
#include <xxhash.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ec {
namespace fs = std::filesystem;
namespace {

constexpr int kHandleVersion = 1;

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("state backend: ", what, ": ", s.ToString()));
}

// List state elements are stored back to back, each behind a 4-byte little-endian length, so
// that Add is a merge that never reads the list.
void AppendElement(std::string* list, std::string_view element) {
  const uint32_t n = static_cast<uint32_t>(element.size());
  char len[4] = {static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16),
                 static_cast<char>(n >> 24)};
  list->append(len, 4);
  list->append(element);
}

class ListAppendOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* merged, rocksdb::Logger*) const override {
    merged->clear();
    if (existing) merged->assign(existing->data(), existing->size());
    merged->append(value.data(), value.size());  // `value` is already length-prefixed
    return true;
  }
  const char* Name() const override { return "ec.ListAppend"; }
};

rocksdb::ColumnFamilyOptions FamilyOptions() {
  rocksdb::ColumnFamilyOptions options;
  options.merge_operator = std::make_shared<ListAppendOperator>();
  // Small memtables: state is flushed at every checkpoint anyway, and a TaskManager should
  // stay small.
  options.write_buffer_size = 8 << 20;
  options.max_write_buffer_number = 2;
  return options;
}

rocksdb::WriteOptions NoWal() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return options;
}

absl::Status SyncPath(const fs::path& path, bool directory) {
  int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat("state backend: cannot open ", path.string()));
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0)
    return absl::UnavailableError(absl::StrCat("state backend: cannot sync ", path.string()));
  return absl::OkStatus();
}

absl::Status CopyDurably(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("state backend: cannot copy ", from.string(), " to ",
                                               to.string(), ": ", ec.message()));
  }
  return SyncPath(to, false);
}

// SST files never change, so a hard link is as good as a copy and costs nothing; across file
// systems it falls back to a copy.
absl::Status LinkOrCopy(const fs::path& from, const fs::path& to) {
  if (link(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
  if (errno == EEXIST) {
    std::error_code ec;
    fs::remove(to, ec);
    if (link(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
  }
  return CopyDurably(from, to);
}

bool IsSst(const std::string& name) { return name.size() > 4 && name.ends_with(".sst"); }

std::string RandomNonce() {
  std::random_device rd;
  const uint64_t n = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return absl::StrFormat("%016x", n);
}

bool SamePath(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  const fs::path pa = fs::weakly_canonical(a, ec1);
  const fs::path pb = fs::weakly_canonical(b, ec2);
  return !ec1 && !ec2 && pa == pb;
}

}  // namespace

int KeyGroupOf(std::string_view key, int max_parallelism) {
  return static_cast<int>(XXH3_64bits(key.data(), key.size()) %
                          static_cast<uint64_t>(max_parallelism));
}

// --- states ---------------------------------------------------------------------------------

absl::StatusOr<bool> ValueState::Get(std::string_view key, std::string* value) const {
  std::string k;
  backend_->EncodeKey(key, &k);
  const rocksdb::Status s = backend_->db_->Get(rocksdb::ReadOptions(), cf_, k, value);
  if (s.IsNotFound()) return false;
  if (auto st = FromRocks(s, "get"); !st.ok()) return st;
  return true;
}

absl::Status ValueState::Put(std::string_view key, std::string_view value) {
  std::string k;
  backend_->EncodeKey(key, &k);
  return FromRocks(backend_->db_->Put(NoWal(), cf_, k, rocksdb::Slice(value.data(), value.size())),
                   "put");
}

absl::Status ValueState::Clear(std::string_view key) {
  std::string k;
  backend_->EncodeKey(key, &k);
  return FromRocks(backend_->db_->Delete(NoWal(), cf_, k), "delete");
}

absl::StatusOr<bool> MapState::Get(std::string_view key, std::string_view user_key,
                                   std::string* value) const {
  std::string k;
  backend_->EncodeMapKey(key, user_key, &k);
  const rocksdb::Status s = backend_->db_->Get(rocksdb::ReadOptions(), cf_, k, value);
  if (s.IsNotFound()) return false;
  if (auto st = FromRocks(s, "get"); !st.ok()) return st;
  return true;
}

absl::Status MapState::Put(std::string_view key, std::string_view user_key,
                           std::string_view value) {
  std::string k;
  backend_->EncodeMapKey(key, user_key, &k);
  return FromRocks(backend_->db_->Put(NoWal(), cf_, k, rocksdb::Slice(value.data(), value.size())),
                   "put");
}

absl::Status MapState::Remove(std::string_view key, std::string_view user_key) {
  std::string k;
  backend_->EncodeMapKey(key, user_key, &k);
  return FromRocks(backend_->db_->Delete(NoWal(), cf_, k), "delete");
}

absl::Status MapState::ForEach(
    std::string_view key, const std::function<void(std::string_view, std::string_view)>& fn) const {
  std::string prefix;
  backend_->EncodeMapKey(key, {}, &prefix);
  std::unique_ptr<rocksdb::Iterator> it(backend_->db_->NewIterator(rocksdb::ReadOptions(), cf_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const rocksdb::Slice k = it->key();
    fn(std::string_view(k.data() + prefix.size(), k.size() - prefix.size()),
       std::string_view(it->value().data(), it->value().size()));
  }
  return FromRocks(it->status(), "iterate");
}

absl::Status MapState::ForEachEntry(
    const std::function<void(std::string_view, std::string_view, std::string_view)>& fn) const {
  // Stored keys are EncodeMapKey's: key group (2), key length (4, big-endian), key, user key.
  std::unique_ptr<rocksdb::Iterator> it(backend_->db_->NewIterator(rocksdb::ReadOptions(), cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() < 6) return absl::DataLossError("state backend: corrupt map state key");
    const auto* p = reinterpret_cast<const unsigned char*>(k.data() + 2);
    const uint32_t n = (static_cast<uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    if (n > k.size() - 6) return absl::DataLossError("state backend: corrupt map state key");
    fn(std::string_view(k.data() + 6, n), std::string_view(k.data() + 6 + n, k.size() - 6 - n),
       std::string_view(it->value().data(), it->value().size()));
  }
  return FromRocks(it->status(), "iterate");
}

absl::Status ListState::Add(std::string_view key, std::string_view element) {
  std::string k, v;
  backend_->EncodeKey(key, &k);
  AppendElement(&v, element);
  return FromRocks(backend_->db_->Merge(NoWal(), cf_, k, v), "merge");
}

absl::StatusOr<std::vector<std::string>> ListState::Get(std::string_view key) const {
  std::string k, v;
  backend_->EncodeKey(key, &k);
  std::vector<std::string> out;
  const rocksdb::Status s = backend_->db_->Get(rocksdb::ReadOptions(), cf_, k, &v);
  if (s.IsNotFound()) return out;
  if (auto st = FromRocks(s, "get"); !st.ok()) return st;
  for (size_t pos = 0; pos + 4 <= v.size();) {
    const auto* p = reinterpret_cast<const unsigned char*>(v.data() + pos);
    const uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    if (pos + 4 + n > v.size()) return absl::DataLossError("state backend: corrupt list state");
    out.emplace_back(v.data() + pos + 4, n);
    pos += 4 + n;
  }
  return out;
}

absl::Status ListState::Clear(std::string_view key) {
  std::string k;
  backend_->EncodeKey(key, &k);
  return FromRocks(backend_->db_->Delete(NoWal(), cf_, k), "delete");
}

// --- backend --------------------------------------------------------------------------------

KeyedStateBackend::KeyedStateBackend(StateBackendOptions options)
    : options_(std::move(options)),
      db_dir_((fs::path(options_.local_dir) / "db").string()),
      nonce_(RandomNonce()) {}

KeyedStateBackend::~KeyedStateBackend() {
  if (db_) {
    for (auto& [name, cf] : families_) db_->DestroyColumnFamilyHandle(cf);
    db_->Close();
    delete db_;
  }
  std::error_code ec;
  fs::remove_all(options_.local_dir, ec);
}

absl::StatusOr<std::unique_ptr<KeyedStateBackend>> KeyedStateBackend::Open(
    StateBackendOptions options, std::string_view restore_handle, const std::string& restore_dir) {
  if (options.max_parallelism < 1 || options.max_parallelism > 32768) {
    return absl::InvalidArgumentError("state backend: max parallelism must be in [1, 32768]");
  }
  std::unique_ptr<KeyedStateBackend> backend(new KeyedStateBackend(std::move(options)));
  std::error_code ec;
  fs::remove_all(backend->options_.local_dir, ec);  // a previous attempt's leftovers
  fs::create_directories(backend->db_dir_, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("state backend: cannot create ", backend->db_dir_, ": ", ec.message()));
  }
  if (!restore_handle.empty()) {
    if (auto s = backend->Restore(restore_handle, restore_dir); !s.ok()) return s;
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 1;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, backend->db_dir_, &names).ok()) {
    names = {rocksdb::kDefaultColumnFamilyName};
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, FamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::Open(db_options, backend->db_dir_, descriptors, &handles, &backend->db_);
  if (auto st = FromRocks(s, absl::StrCat("open ", backend->db_dir_)); !st.ok()) return st;
  for (size_t i = 0; i < names.size(); ++i) backend->families_[names[i]] = handles[i];
  return backend;
}

absl::Status KeyedStateBackend::Restore(std::string_view handle, const std::string& restore_dir) {
  auto json = nlohmann::json::parse(handle, nullptr, false);
  if (json.is_discarded() || json.value("version", 0) != kHandleVersion ||
      !json.contains("files")) {
    return absl::DataLossError("state backend: the checkpoint's state handle is unreadable");
  }
  options_.max_parallelism = json.value("max_parallelism", options_.max_parallelism);
  const bool own = SamePath(restore_dir, options_.checkpoint_dir);
  for (const auto& file : json["files"]) {
    const std::string name = file.value("name", "");
    const std::string path = file.value("path", "");
    if (name.empty() || path.empty() || name.find('/') != std::string::npos) {
      return absl::DataLossError("state backend: the checkpoint's state handle is unreadable");
    }
    const fs::path from = fs::path(restore_dir) / path;
    const fs::path to = fs::path(db_dir_) / name;
    absl::Status s = IsSst(name) ? LinkOrCopy(from, to) : CopyDurably(from, to);
    if (!s.ok()) return s;
    // Files of this job's own checkpoints are already shared: later snapshots refer to them.
    if (own && IsSst(name)) uploaded_[name] = fs::path(path).filename().string();
  }
  return absl::OkStatus();
}

absl::StatusOr<rocksdb::ColumnFamilyHandle*> KeyedStateBackend::Family(const std::string& name) {
  if (name.empty() || name == rocksdb::kDefaultColumnFamilyName) {
    return absl::InvalidArgumentError(
        absl::StrCat("state backend: invalid state name \"", name, "\""));
  }
  if (auto it = families_.find(name); it != families_.end()) return it->second;
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  auto s = db_->CreateColumnFamily(FamilyOptions(), name, &handle);
  if (auto st = FromRocks(s, absl::StrCat("create state ", name)); !st.ok()) return st;
  families_[name] = handle;
  return handle;
}

absl::StatusOr<ValueState> KeyedStateBackend::GetValueState(const std::string& name) {
  auto cf = Family(name);
  if (!cf.ok()) return cf.status();
  return ValueState(this, *cf);
}

absl::StatusOr<MapState> KeyedStateBackend::GetMapState(const std::string& name) {
  auto cf = Family(name);
  if (!cf.ok()) return cf.status();
  return MapState(this, *cf);
}

absl::StatusOr<ListState> KeyedStateBackend::GetListState(const std::string& name) {
  auto cf = Family(name);
  if (!cf.ok()) return cf.status();
  return ListState(this, *cf);
}

void KeyedStateBackend::EncodeKey(std::string_view key, std::string* out) const {
  const int group = KeyGroupOf(key, options_.max_parallelism);
  out->clear();
  out->reserve(2 + key.size());
  out->push_back(static_cast<char>(group >> 8));
  out->push_back(static_cast<char>(group & 0xff));
  out->append(key);
}

void KeyedStateBackend::EncodeMapKey(std::string_view key, std::string_view user_key,
                                     std::string* out) const {
  // The key's length keeps "ab"+"c" and "a"+"bc" apart.
  EncodeKey(key, out);
  const uint32_t n = static_cast<uint32_t>(key.size());
  out->insert(2, std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                             static_cast<char>(n >> 8), static_cast<char>(n)});
  out->append(user_key);
}

absl::StatusOr<StateSnapshot> KeyedStateBackend::Snapshot(int64_t checkpoint_id) {
  const fs::path snap = fs::path(options_.local_dir) / absl::StrCat("snap-", checkpoint_id);
  const fs::path shared = fs::path(options_.checkpoint_dir) / "shared";
  std::error_code ec;
  fs::remove_all(snap, ec);
  fs::create_directories(shared, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("state backend: cannot create ", shared.string(), ": ", ec.message()));
  }
  rocksdb::Checkpoint* raw = nullptr;
  if (auto s = FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"); !s.ok()) return s;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: always flush, since writes skip the WAL.
  if (auto s = FromRocks(checkpoint->CreateCheckpoint(snap.string(), 0), "checkpoint"); !s.ok()) {
    return s;
  }

  StateSnapshot out;
  nlohmann::json files = nlohmann::json::array();
  absl::Status status;
  for (const auto& entry : fs::directory_iterator(snap, ec)) {
    const std::string name = entry.path().filename().string();
    std::string shared_name;
    if (IsSst(name)) {
      auto it = uploaded_.find(name);
      if (it == uploaded_.end()) {
        shared_name = absl::StrCat(nonce_, "-", name);
        status = LinkOrCopy(entry.path(), shared / shared_name);
        if (!status.ok()) break;
        out.new_bytes += static_cast<int64_t>(entry.file_size(ec));
        uploaded_[name] = shared_name;
      } else {
        shared_name = it->second;
      }
    } else {
      // MANIFEST, CURRENT, OPTIONS: small, and they change with every snapshot.
      shared_name = absl::StrCat(nonce_, "-", checkpoint_id, "-", name);
      status = CopyDurably(entry.path(), shared / shared_name);
      if (!status.ok()) break;
      out.new_bytes += static_cast<int64_t>(entry.file_size(ec));
    }
    const std::string path = absl::StrCat("shared/", shared_name);
    files.push_back({{"name", name}, {"path", path}});
    out.files.push_back(path);
  }
  fs::remove_all(snap, ec);
  if (!status.ok()) return status;
  if (auto s = SyncPath(shared, true); !s.ok()) return s;
  // SSTs no longer live are never referred to again; forget them so the map stays small.
  for (auto it = uploaded_.begin(); it != uploaded_.end();) {
    bool live = false;
    for (const auto& f : files) live |= f["name"] == it->first;
    it = live ? std::next(it) : uploaded_.erase(it);
  }
  out.handle = nlohmann::json{
      {"version", kHandleVersion},
      {"max_parallelism", options_.max_parallelism},
      {"files",
       files}}.dump();
  return out;
}

}  // namespace ec
