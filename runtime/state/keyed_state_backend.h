// Keyed state on RocksDB: value, map and list state per key, snapshots as shared files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/state/key_groups.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace ec {

struct StateBackendOptions {
  // This task attempt's private RocksDB directory; created on open, deleted on close.
  std::string local_dir;
  // The job's checkpoint directory (<checkpoint-dir>/<job id>), shared with the JobManager.
  // Snapshots write their files to its "shared" subdirectory.
  std::string checkpoint_dir;
  int max_parallelism = 128;
  // The key groups this instance holds (the subtask's KeyGroupRangeOf); unset: all of them,
  // [0, max_parallelism - 1]. A restore keeps only these groups of the handles' state.
  std::optional<KeyGroupRange> key_groups;
};

// What a snapshot hands to the checkpoint: `handle` goes into the task's state, `files` (paths
// relative to the checkpoint directory) tell the JobManager which files it must keep.
struct StateSnapshot {
  std::string handle;
  std::vector<std::string> files;
  int64_t new_bytes = 0;  // bytes written for this checkpoint: the incremental size
};

class KeyedStateBackend;

// A single value per key.
class ValueState {
 public:
  // Reads the value of `key` into `value`; false when the key has none.
  absl::StatusOr<bool> Get(std::string_view key, std::string* value) const;
  absl::Status Put(std::string_view key, std::string_view value);
  absl::Status Clear(std::string_view key);

 private:
  friend class KeyedStateBackend;
  ValueState(KeyedStateBackend* backend, rocksdb::ColumnFamilyHandle* cf)
      : backend_(backend), cf_(cf) {}
  KeyedStateBackend* backend_;
  rocksdb::ColumnFamilyHandle* cf_;
};

// A map per key (user key → value).
class MapState {
 public:
  absl::StatusOr<bool> Get(std::string_view key, std::string_view user_key,
                           std::string* value) const;
  absl::Status Put(std::string_view key, std::string_view user_key, std::string_view value);
  absl::Status Remove(std::string_view key, std::string_view user_key);
  // Calls `fn(user_key, value)` for every entry of `key`, in user-key order.
  absl::Status ForEach(std::string_view key,
                       const std::function<void(std::string_view, std::string_view)>& fn) const;
  // Calls `fn(key, user_key, value)` for every entry of every key (e.g. to rebuild timers after
  // a restore), in stored order: by key group, then key length, key and user key, so one key's
  // entries come together in user-key order. DataLoss on an entry that does not decode.
  absl::Status ForEachEntry(
      const std::function<void(std::string_view, std::string_view, std::string_view)>& fn) const;

 private:
  friend class KeyedStateBackend;
  MapState(KeyedStateBackend* backend, rocksdb::ColumnFamilyHandle* cf)
      : backend_(backend), cf_(cf) {}
  KeyedStateBackend* backend_;
  rocksdb::ColumnFamilyHandle* cf_;
};

// A list per key; Add appends without reading (a RocksDB merge).
class ListState {
 public:
  absl::Status Add(std::string_view key, std::string_view element);
  absl::StatusOr<std::vector<std::string>> Get(std::string_view key) const;
  absl::Status Clear(std::string_view key);

 private:
  friend class KeyedStateBackend;
  ListState(KeyedStateBackend* backend, rocksdb::ColumnFamilyHandle* cf)
      : backend_(backend), cf_(cf) {}
  KeyedStateBackend* backend_;
  rocksdb::ColumnFamilyHandle* cf_;
};

// One RocksDB instance per task. Each named state is a column family; stored keys start with
// their key group (2 bytes, big-endian), so a key group is one contiguous key range of every
// column family. Writes skip the WAL:
// a snapshot flushes the memtables first, and after a crash the task restores from the last
// checkpoint anyway, never from its local directory.
//
// Snapshots are incremental: RocksDB's checkpoint hard-links the live files; SST files are
// immutable, so each is written to <checkpoint_dir>/shared once (a hard link where the file
// system allows, else a copy) and later checkpoints only refer to it. Shared names carry a
// random prefix per backend instance, so two attempts restored from the same checkpoint never
// write different files under one name. The JobManager deletes shared files no retained
// checkpoint refers to.
class KeyedStateBackend {
 public:
  // Opens a fresh instance (no handles), or one restored from `handles` (StateSnapshot
  // handles, e.g. those of every old subtask whose key groups overlap ours) whose files are
  // relative to `restore_dir` (a checkpoint or savepoint directory).
  //
  // One handle that holds no key group outside `options.key_groups` (the same subtask at the
  // same parallelism; a handle that does not record its key groups counts as holding all) is
  // restored by linking its files, so later snapshots stay incremental.
  // Otherwise (a rescale) each handle is restored into a temporary directory under the local
  // directory and the entries of our key groups, of every column family, are copied into a new
  // database; its first snapshot then writes all its files.
  //
  // Errors: INVALID_ARGUMENT for a bad max parallelism or key-group range, or a handle of
  // another max parallelism; DATA_LOSS for an unreadable handle; UNAVAILABLE or INTERNAL when
  // files cannot be linked, copied or opened.
  static absl::StatusOr<std::unique_ptr<KeyedStateBackend>> Open(
      StateBackendOptions options, const std::vector<std::string_view>& handles,
      const std::string& restore_dir);
  // One handle, or none when `restore_handle` is empty.
  static absl::StatusOr<std::unique_ptr<KeyedStateBackend>> Open(
      StateBackendOptions options, std::string_view restore_handle = {},
      const std::string& restore_dir = {});
  ~KeyedStateBackend();
  KeyedStateBackend(const KeyedStateBackend&) = delete;
  KeyedStateBackend& operator=(const KeyedStateBackend&) = delete;

  // Declares (or finds again) the state called `name`. Names are per task: operators prefix
  // them with their own name.
  absl::StatusOr<ValueState> GetValueState(const std::string& name);
  absl::StatusOr<MapState> GetMapState(const std::string& name);
  absl::StatusOr<ListState> GetListState(const std::string& name);

  absl::StatusOr<StateSnapshot> Snapshot(int64_t checkpoint_id);

  int max_parallelism() const { return options_.max_parallelism; }
  const KeyGroupRange& key_groups() const { return key_groups_; }

 private:
  friend class ValueState;
  friend class MapState;
  friend class ListState;
  explicit KeyedStateBackend(StateBackendOptions options);
  absl::StatusOr<rocksdb::ColumnFamilyHandle*> Family(const std::string& name);
  // The stored key: key group, then `key`, then (map state) the user key.
  void EncodeKey(std::string_view key, std::string* out) const;
  void EncodeMapKey(std::string_view key, std::string_view user_key, std::string* out) const;
  struct Handle;  // a parsed StateSnapshot handle
  absl::StatusOr<Handle> ParseHandle(std::string_view handle) const;
  // Opens (creating) the database in db_dir_ with the column families it already has.
  absl::Status OpenDb();
  // Links or copies the files of `handle` into `dir`; `share`: they are this job's shared
  // files, which later snapshots refer to instead of writing them again.
  absl::Status LinkFiles(const Handle& handle, const std::string& restore_dir,
                         const std::string& dir, bool share);
  // Restores `handle` into the scratch directory `dir`, copies the entries of our key groups
  // of each of its column families into the open database, then deletes `dir`.
  absl::Status CopyKeyGroups(const Handle& handle, const std::string& restore_dir,
                             const std::string& dir);

  StateBackendOptions options_;
  KeyGroupRange key_groups_;
  std::string db_dir_;
  std::string nonce_;  // prefix of the shared files this instance writes
  rocksdb::DB* db_ = nullptr;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;
  // Local SST name → shared name, for files already in <checkpoint_dir>/shared.
  std::map<std::string, std::string> uploaded_;
};

}  // namespace ec
