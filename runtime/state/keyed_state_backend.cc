// Keyed state on RocksDB and its incremental snapshots.
#include "runtime/state/keyed_state_backend.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ec {
namespace fs = std::filesystem;
namespace {

constexpr int kHandleVersion = 1;
// A rescaling restore writes what it copies in batches of about this size.
constexpr size_t kCopyBatchBytes = 4 << 20;

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

// The 2-byte big-endian prefix every stored key of `key_group` starts with.
std::string KeyGroupPrefix(int key_group) {
  return {static_cast<char>(key_group >> 8), static_cast<char>(key_group & 0xff)};
}

absl::Status UnreadableHandle(const char* why) {
  return absl::DataLossError(
      absl::StrCat("state backend: the checkpoint's state handle is unreadable: ", why));
}

}  // namespace

struct KeyedStateBackend::Handle {
  struct File {
    std::string name;  // in the RocksDB directory
    std::string path;  // relative to the restore directory
  };
  std::vector<File> files;
  // The key groups the snapshotting instance held. Handles written before they were recorded
  // may hold any: all groups, so that only an instance of all groups links their files.
  KeyGroupRange key_groups;
};

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
  std::vector<std::string_view> handles;
  if (!restore_handle.empty()) handles.push_back(restore_handle);
  return Open(std::move(options), handles, restore_dir);
}

absl::StatusOr<std::unique_ptr<KeyedStateBackend>> KeyedStateBackend::Open(
    StateBackendOptions options, const std::vector<std::string_view>& handles,
    const std::string& restore_dir) {
  const int max = options.max_parallelism;
  if (max < 1 || max > 32768) {
    return absl::InvalidArgumentError("state backend: max parallelism must be in [1, 32768]");
  }
  const KeyGroupRange range = options.key_groups.value_or(KeyGroupRange{0, max - 1});
  if (range.empty() || range.first < 0 || range.last >= max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("state backend: key groups [%d, %d] are not a range of [0, %d]",
                        range.first, range.last, max - 1));
  }
  std::unique_ptr<KeyedStateBackend> backend(new KeyedStateBackend(std::move(options)));
  backend->key_groups_ = range;
  std::error_code ec;
  fs::remove_all(backend->options_.local_dir, ec);  // a previous attempt's leftovers
  fs::create_directories(backend->db_dir_, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("state backend: cannot create ", backend->db_dir_, ": ", ec.message()));
  }
  std::vector<Handle> parsed;
  for (std::string_view h : handles) {
    auto handle = backend->ParseHandle(h);
    if (!handle.ok()) return handle.status();
    parsed.push_back(*std::move(handle));
  }

  // Fast path: the same subtask at the same parallelism takes the files as they are.
  if (parsed.size() == 1 && range.Contains(parsed[0].key_groups)) {
    const bool own = SamePath(restore_dir, backend->options_.checkpoint_dir);
    if (auto s = backend->LinkFiles(parsed[0], restore_dir, backend->db_dir_, own); !s.ok()) {
      return s;
    }
    if (auto s = backend->OpenDb(); !s.ok()) return s;
    return backend;
  }
  if (auto s = backend->OpenDb(); !s.ok()) return s;
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (!range.Overlaps(parsed[i].key_groups)) continue;
    const std::string dir =
        (fs::path(backend->options_.local_dir) / absl::StrCat("rescale-", i)).string();
    if (auto s = backend->CopyKeyGroups(parsed[i], restore_dir, dir); !s.ok()) return s;
  }
  return backend;
}

absl::Status KeyedStateBackend::OpenDb() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 1;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, db_dir_, &names).ok()) {
    names = {rocksdb::kDefaultColumnFamilyName};
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, FamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::Open(db_options, db_dir_, descriptors, &handles, &db_);
  if (auto st = FromRocks(s, absl::StrCat("open ", db_dir_)); !st.ok()) return st;
  for (size_t i = 0; i < names.size(); ++i) families_[names[i]] = handles[i];
  return absl::OkStatus();
}

absl::StatusOr<KeyedStateBackend::Handle> KeyedStateBackend::ParseHandle(
    std::string_view text) const {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("version") ||
      json["version"] != kHandleVersion || !json.contains("files") || !json["files"].is_array()) {
    return UnreadableHandle("not a version 1 handle");
  }
  const auto& max = json.value("max_parallelism", nlohmann::json(options_.max_parallelism));
  if (!max.is_number_integer()) return UnreadableHandle("max_parallelism");
  if (max.get<int>() != options_.max_parallelism) {
    // Keys would be in other key groups than the ones they are stored under.
    return absl::InvalidArgumentError(
        absl::StrCat("state backend: the checkpoint's keyed state has max parallelism ",
                     max.get<int>(), ", not ", options_.max_parallelism));
  }
  Handle handle;
  handle.key_groups = {0, options_.max_parallelism - 1};
  if (json.contains("key_groups")) {
    const auto& groups = json["key_groups"];
    if (!groups.is_array() || groups.size() != 2 || !groups[0].is_number_integer() ||
        !groups[1].is_number_integer()) {
      return UnreadableHandle("key_groups");
    }
    const KeyGroupRange range{groups[0].get<int>(), groups[1].get<int>()};
    if (range.empty() || range.first < 0 || range.last >= options_.max_parallelism) {
      return UnreadableHandle("key_groups");
    }
    handle.key_groups = range;
  }
  for (const auto& file : json["files"]) {
    if (!file.is_object() || !file.contains("name") || !file["name"].is_string() ||
        !file.contains("path") || !file["path"].is_string()) {
      return UnreadableHandle("files");
    }
    Handle::File f{file["name"].get<std::string>(), file["path"].get<std::string>()};
    // A name inside the RocksDB directory, a path inside the checkpoint's shared/ folder.
    const std::string_view shared_name = std::string_view(f.path).substr(
        std::min(f.path.size(), sizeof("shared/") - 1));
    if (f.name.empty() || f.name == "." || f.name == ".." ||
        f.name.find('/') != std::string::npos || f.path.rfind("shared/", 0) != 0 ||
        shared_name.empty() || shared_name == "." || shared_name == ".." ||
        shared_name.find('/') != std::string_view::npos) {
      return UnreadableHandle("files");
    }
    handle.files.push_back(std::move(f));
  }
  return handle;
}

absl::Status KeyedStateBackend::LinkFiles(const Handle& handle, const std::string& restore_dir,
                                          const std::string& dir, bool share) {
  for (const auto& file : handle.files) {
    const fs::path from = fs::path(restore_dir) / file.path;
    const fs::path to = fs::path(dir) / file.name;
    absl::Status s = IsSst(file.name) ? LinkOrCopy(from, to) : CopyDurably(from, to);
    if (!s.ok()) return s;
    // Files of this job's own checkpoints are already shared: later snapshots refer to them.
    if (share && IsSst(file.name)) uploaded_[file.name] = fs::path(file.path).filename().string();
  }
  return absl::OkStatus();
}

absl::Status KeyedStateBackend::CopyKeyGroups(const Handle& handle, const std::string& restore_dir,
                                              const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("state backend: cannot create ", dir, ": ", ec.message()));
  }
  if (auto s = LinkFiles(handle, restore_dir, dir, /*share=*/false); !s.ok()) return s;

  rocksdb::DBOptions db_options;
  db_options.max_background_jobs = 1;
  std::vector<std::string> names;
  auto rs = rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
  if (auto st = FromRocks(rs, absl::StrCat("list states of ", dir)); !st.ok()) return st;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, FamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rs = rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &handles, &raw);
  if (auto st = FromRocks(rs, absl::StrCat("open ", dir)); !st.ok()) return st;
  std::unique_ptr<rocksdb::DB> old(raw);

  // Stored keys start with their key group, so our groups are one key range of each family.
  const std::string lower = KeyGroupPrefix(key_groups_.first);
  const std::string upper = KeyGroupPrefix(key_groups_.last + 1);  // last < 32768: fits
  const rocksdb::Slice upper_bound(upper);
  absl::Status status;
  for (size_t i = 0; i < names.size() && status.ok(); ++i) {
    rocksdb::ColumnFamilyHandle* to = nullptr;
    if (names[i] == rocksdb::kDefaultColumnFamilyName) {
      to = db_->DefaultColumnFamily();
    } else {
      auto family = Family(names[i]);  // created even when empty: operators look states up
      if (!family.ok()) {
        status = family.status();
        break;
      }
      to = *family;
    }
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper_bound;
    read.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(old->NewIterator(read, handles[i]));
    rocksdb::WriteBatch batch;
    // The iterator yields merged values, so list state arrives whole.
    for (it->Seek(lower); it->Valid() && status.ok(); it->Next()) {
      status = FromRocks(batch.Put(to, it->key(), it->value()), "restore");
      if (status.ok() && batch.GetDataSize() >= kCopyBatchBytes) {
        status = FromRocks(db_->Write(NoWal(), &batch), "restore");
        batch.Clear();
      }
    }
    if (status.ok()) status = FromRocks(it->status(), absl::StrCat("read ", dir));
    if (status.ok() && batch.Count() > 0)
      status = FromRocks(db_->Write(NoWal(), &batch), "restore");
  }
  for (auto* h : handles) old->DestroyColumnFamilyHandle(h);
  old->Close();
  old.reset();
  fs::remove_all(dir, ec);
  return status;
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
      {"key_groups", {key_groups_.first, key_groups_.last}},
      {"files",
       files}}.dump();
  return out;
}

}  // namespace ec
