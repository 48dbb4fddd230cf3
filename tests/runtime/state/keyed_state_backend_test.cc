// KeyedStateBackend: the three state kinds, snapshots, restores (also rescaled by key-group
// range) and their shared files.
#include "runtime/state/keyed_state_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "tests/scratch_dir.h"

namespace ec {
namespace {

namespace fs = std::filesystem;

class KeyedStateBackendTest : public ::testing::Test {
 protected:
  StateBackendOptions Options(const std::string& local, const std::string& job = "job1") {
    StateBackendOptions options;
    options.local_dir = (root_ / "tm" / local).string();
    options.checkpoint_dir = (root_ / "checkpoints" / job).string();
    return options;
  }
  std::unique_ptr<KeyedStateBackend> OpenOrDie(StateBackendOptions options,
                                               std::string_view handle = {},
                                               const std::string& restore_dir = {}) {
    auto backend = KeyedStateBackend::Open(std::move(options), handle, restore_dir);
    EXPECT_TRUE(backend.ok()) << backend.status();
    return backend.ok() ? *std::move(backend) : nullptr;
  }
  // The options of subtask `subtask` of `parallelism` (max parallelism 128).
  StateBackendOptions SubtaskOptions(const std::string& local, int subtask, int parallelism) {
    StateBackendOptions options = Options(local);
    options.key_groups = KeyGroupRangeOf(subtask, parallelism, options.max_parallelism);
    return options;
  }
  std::string JobDir(const std::string& job = "job1") {
    return (root_ / "checkpoints" / job).string();
  }

  test_support::ScratchDir scratch_{"keyed-state"};
  const fs::path root_ = scratch_.path();
};

TEST_F(KeyedStateBackendTest, ValueMapAndListStateKeepValuesPerKey) {
  auto backend = OpenOrDie(Options("a"));
  ASSERT_TRUE(backend);
  auto value = *backend->GetValueState("op.value");
  auto map = *backend->GetMapState("op.map");
  auto list = *backend->GetListState("op.list");
  std::string out;
  EXPECT_FALSE(*value.Get("k1", &out));
  ASSERT_TRUE(value.Put("k1", "v1").ok());
  ASSERT_TRUE(value.Put("k2", "v2").ok());
  ASSERT_TRUE(*value.Get("k1", &out));
  EXPECT_EQ(out, "v1");
  ASSERT_TRUE(value.Clear("k1").ok());
  EXPECT_FALSE(*value.Get("k1", &out));

  ASSERT_TRUE(map.Put("ab", "c", "1").ok());
  ASSERT_TRUE(map.Put("a", "bc", "2").ok());  // must not collide with ("ab", "c")
  ASSERT_TRUE(map.Put("ab", "d", "3").ok());
  std::vector<std::pair<std::string, std::string>> entries;
  ASSERT_TRUE(
      map.ForEach("ab", [&](std::string_view k, std::string_view v) { entries.emplace_back(k, v); })
          .ok());
  EXPECT_EQ(entries, (std::vector<std::pair<std::string, std::string>>{{"c", "1"}, {"d", "3"}}));
  ASSERT_TRUE(*map.Get("a", "bc", &out));
  EXPECT_EQ(out, "2");

  ASSERT_TRUE(list.Add("k", "x").ok());
  ASSERT_TRUE(list.Add("k", std::string("\0y", 2)).ok());
  EXPECT_EQ(*list.Get("k"), (std::vector<std::string>{"x", std::string("\0y", 2)}));
  EXPECT_TRUE(list.Get("other")->empty());
}

TEST_F(KeyedStateBackendTest, RestoredBackendSeesTheSnapshotNotLaterWrites) {
  auto backend = OpenOrDie(Options("a"));
  auto value = *backend->GetValueState("op.count");
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(value.Put("key" + std::to_string(i), std::to_string(i)).ok());
  auto snapshot = backend->Snapshot(1);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_TRUE(value.Put("key1", "after the snapshot").ok());
  for (const auto& f : snapshot->files) EXPECT_TRUE(fs::exists(fs::path(JobDir()) / f)) << f;

  auto restored = OpenOrDie(Options("b"), snapshot->handle, JobDir());
  ASSERT_TRUE(restored);
  auto again = *restored->GetValueState("op.count");
  std::string out;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(*again.Get("key" + std::to_string(i), &out));
    EXPECT_EQ(out, std::to_string(i));
  }
}

TEST_F(KeyedStateBackendTest, SnapshotsAreIncrementalAndRestoredAttemptsNeverShareNewNames) {
  auto backend = OpenOrDie(Options("a"));
  auto value = *backend->GetValueState("op.v");
  const std::string big(1000, 'x');
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(value.Put("a" + std::to_string(i), big).ok());
  auto first = *backend->Snapshot(1);
  ASSERT_TRUE(value.Put("b", "small").ok());
  auto second = *backend->Snapshot(2);
  // The big SST of the first snapshot is shared, not written again.
  EXPECT_LT(second.new_bytes * 10, first.new_bytes);
  std::set<std::string> first_sst, second_files(second.files.begin(), second.files.end());
  for (const auto& f : first.files) {
    if (f.ends_with(".sst")) first_sst.insert(f);
  }
  ASSERT_FALSE(first_sst.empty());
  for (const auto& f : first_sst) EXPECT_TRUE(second_files.contains(f)) << f;

  // Two attempts restored from the same checkpoint write different files under different names.
  auto one = OpenOrDie(Options("one"), second.handle, JobDir());
  auto two = OpenOrDie(Options("two"), second.handle, JobDir());
  ASSERT_TRUE(one->GetValueState("op.v")->Put("c", "from one").ok());
  ASSERT_TRUE(two->GetValueState("op.v")->Put("c", "from two").ok());
  auto s1 = *one->Snapshot(3);
  auto s2 = *two->Snapshot(3);
  std::set<std::string> n1(s1.files.begin(), s1.files.end());
  for (const auto& f : s2.files) {
    if (!first_sst.contains(f) && !second_files.contains(f)) EXPECT_FALSE(n1.contains(f)) << f;
  }
  // Restored from its own job's checkpoint, an attempt does not write the old SSTs again.
  EXPECT_LT(s1.new_bytes * 10, first.new_bytes);
  auto from_one = OpenOrDie(Options("check"), s1.handle, JobDir());
  std::string out;
  ASSERT_TRUE(*from_one->GetValueState("op.v")->Get("c", &out));
  EXPECT_EQ(out, "from one");
}

TEST_F(KeyedStateBackendTest, LocalDirectoryIsRemovedOnClose) {
  const std::string local = Options("gone").local_dir;
  {
    auto backend = OpenOrDie(Options("gone"));
    ASSERT_TRUE(backend->GetValueState("op.v")->Put("k", "v").ok());
    EXPECT_TRUE(fs::exists(local));
  }
  EXPECT_FALSE(fs::exists(local));
}

TEST_F(KeyedStateBackendTest, UnreadableHandleOrMissingFilesAreErrors) {
  auto bad = KeyedStateBackend::Open(Options("x"), "not json", JobDir());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  auto backend = OpenOrDie(Options("y"));
  ASSERT_TRUE(backend->GetValueState("op.v")->Put("k", "v").ok());
  auto snapshot = *backend->Snapshot(1);
  fs::remove_all(fs::path(JobDir()) / "shared");
  EXPECT_FALSE(KeyedStateBackend::Open(Options("z"), snapshot.handle, JobDir()).ok());
}

// A handle comes from a checkpoint's metadata, which a savepoint's user may bring: wrong types
// are refused (not thrown), and no file may be read from outside the checkpoint's shared/ or
// written outside the RocksDB directory.
TEST_F(KeyedStateBackendTest, HostileHandlesAreRefusedNotFollowed) {
  const std::string cases[] = {
      R"({"version": "1", "files": []})",
      R"({"version": 1, "files": [{"name": 5, "path": "shared/a"}]})",
      R"({"version": 1, "files": [{"name": "CURRENT", "path": "../../../etc/passwd"}]})",
      R"({"version": 1, "files": [{"name": "CURRENT", "path": "shared/../../x"}]})",
      R"({"version": 1, "files": [{"name": "..", "path": "shared/a"}]})",
      R"({"version": 1, "files": [{"name": "CURRENT", "path": "/etc/passwd"}]})",
  };
  for (const std::string& handle : cases) {
    auto opened = KeyedStateBackend::Open(Options("h"), handle, JobDir());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << handle;
  }
}

TEST_F(KeyedStateBackendTest, KeyGroupsAreStableAndSpread) {
  std::vector<int> per_group(128);
  for (int i = 0; i < 12800; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const int group = KeyGroupOf(key, 128);
    ASSERT_GE(group, 0);
    ASSERT_LT(group, 128);
    EXPECT_EQ(group, KeyGroupOf(key, 128));
    ++per_group[group];
  }
  for (int n : per_group) EXPECT_GT(n, 40);  // ~100 each; none starved
}

TEST_F(KeyedStateBackendTest, ForEachEntryVisitsEveryKeyOfAMapStateAndSurvivesRestore) {
  auto backend = OpenOrDie(Options("a"));
  auto map = *backend->GetMapState("op.map");
  auto other = *backend->GetMapState("op.other");
  std::set<std::tuple<std::string, std::string, std::string>> expected;
  for (int k = 0; k < 50; ++k) {
    for (int u = 0; u < 3; ++u) {
      // Keys of different lengths, with bytes a naive split would trip on.
      const std::string key = std::string(k % 7, '\x1f') + "key" + std::to_string(k);
      const std::string user_key = std::string("\0u", 2) + std::to_string(u);
      const std::string value = std::to_string(k * 10 + u);
      ASSERT_TRUE(map.Put(key, user_key, value).ok());
      expected.emplace(key, user_key, value);
    }
  }
  ASSERT_TRUE(map.Put("", "empty key", "v").ok());
  expected.emplace("", "empty key", "v");
  ASSERT_TRUE(map.Remove("key3", std::string("\0u", 2) + "1").ok());
  expected.erase({"key3", std::string("\0u", 2) + "1", "31"});
  ASSERT_TRUE(other.Put("not", "this", "map").ok());

  auto collect = [](const MapState& state) {
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    std::string previous_key;
    std::string previous_user_key;
    bool first = true;
    EXPECT_TRUE(state
                    .ForEachEntry([&](std::string_view key, std::string_view user_key,
                                      std::string_view value) {
                      // One key's entries come together, in user-key order.
                      if (!first && key == previous_key) {
                        EXPECT_LT(previous_user_key, user_key);
                      }
                      first = false;
                      previous_key = key;
                      previous_user_key = user_key;
                      EXPECT_TRUE(seen.emplace(key, user_key, value).second);
                    })
                    .ok());
    return seen;
  };
  EXPECT_EQ(collect(map), expected);

  auto snapshot = backend->Snapshot(1);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto restored = OpenOrDie(Options("b"), snapshot->handle, JobDir());
  ASSERT_TRUE(restored);
  EXPECT_EQ(collect(*restored->GetMapState("op.map")), expected);
  size_t entries = 0;
  ASSERT_TRUE(
      restored->GetMapState("op.empty")
          ->ForEachEntry([&](std::string_view, std::string_view, std::string_view) { ++entries; })
          .ok());
  EXPECT_EQ(entries, 0u);
}

constexpr int kKeys = 3000;
std::string KeyN(int n) { return "key-" + std::to_string(n); }

// Writes value, map and list state for the keys whose key group `backend` holds.
void WriteOwnedKeys(KeyedStateBackend& backend) {
  auto value = *backend.GetValueState("op.value");
  auto map = *backend.GetMapState("op.map");
  auto list = *backend.GetListState("op.list");
  for (int n = 0; n < kKeys; ++n) {
    const std::string key = KeyN(n);
    if (!backend.key_groups().Contains(KeyGroupOf(key, backend.max_parallelism()))) continue;
    ASSERT_TRUE(value.Put(key, "v" + std::to_string(n)).ok());
    ASSERT_TRUE(map.Put(key, "u1", std::to_string(n)).ok());
    ASSERT_TRUE(map.Put(key, "u2", std::to_string(-n)).ok());
    ASSERT_TRUE(list.Add(key, "a").ok());
    ASSERT_TRUE(list.Add(key, std::to_string(n)).ok());  // a merge operand until compacted
  }
}

// Every key of `backend`'s key groups has its state; every other key has none.
void ExpectExactlyOwnedKeys(KeyedStateBackend& backend) {
  auto value = *backend.GetValueState("op.value");
  auto map = *backend.GetMapState("op.map");
  auto list = *backend.GetListState("op.list");
  int owned = 0;
  for (int n = 0; n < kKeys; ++n) {
    const std::string key = KeyN(n);
    const bool mine = backend.key_groups().Contains(KeyGroupOf(key, backend.max_parallelism()));
    owned += mine;
    std::string out;
    ASSERT_EQ(*value.Get(key, &out), mine) << key;
    std::vector<std::pair<std::string, std::string>> entries;
    ASSERT_TRUE(map.ForEach(key, [&](std::string_view k,
                                     std::string_view v) { entries.emplace_back(k, v); })
                    .ok());
    if (mine) {
      EXPECT_EQ(out, "v" + std::to_string(n));
      EXPECT_EQ(entries, (std::vector<std::pair<std::string, std::string>>{
                             {"u1", std::to_string(n)}, {"u2", std::to_string(-n)}}));
      EXPECT_EQ(*list.Get(key), (std::vector<std::string>{"a", std::to_string(n)}));
    } else {
      EXPECT_TRUE(entries.empty()) << key;
      EXPECT_TRUE(list.Get(key)->empty()) << key;
    }
  }
  int entries = 0;
  ASSERT_TRUE(
      map.ForEachEntry([&](std::string_view, std::string_view, std::string_view) { ++entries; })
          .ok());
  EXPECT_EQ(entries, 2 * owned);
}

TEST_F(KeyedStateBackendTest, RescalingFromTwoToThreeOrOneKeepsEachKeyWhereItBelongs) {
  std::vector<std::string> handles;
  for (int subtask = 0; subtask < 2; ++subtask) {
    auto old = OpenOrDie(SubtaskOptions(absl::StrCat("old", subtask), subtask, 2));
    ASSERT_TRUE(old);
    WriteOwnedKeys(*old);
    auto snapshot = old->Snapshot(1);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    handles.push_back(snapshot->handle);
  }
  const std::vector<std::string_view> all(handles.begin(), handles.end());
  for (int parallelism : {3, 1}) {
    for (int subtask = 0; subtask < parallelism; ++subtask) {
      SCOPED_TRACE(absl::StrCat("subtask ", subtask, " of ", parallelism));
      auto backend = KeyedStateBackend::Open(
          SubtaskOptions(absl::StrCat("new", parallelism, "-", subtask), subtask, parallelism), all,
          JobDir());
      ASSERT_TRUE(backend.ok()) << backend.status();
      ExpectExactlyOwnedKeys(**backend);

      // The rescaled instance snapshots and restores like any other.
      auto snapshot = (*backend)->Snapshot(2);
      ASSERT_TRUE(snapshot.ok()) << snapshot.status();
      auto again = OpenOrDie(
          SubtaskOptions(absl::StrCat("again", parallelism, "-", subtask), subtask, parallelism),
          snapshot->handle, JobDir());
      ASSERT_TRUE(again);
      ExpectExactlyOwnedKeys(*again);
    }
  }
}

TEST_F(KeyedStateBackendTest, OwnRangeIsLinkedAndStaysIncrementalWhileANarrowerOneIsCopied) {
  auto backend = OpenOrDie(SubtaskOptions("a", 0, 2));
  auto value = *backend->GetValueState("op.v");
  const std::string big(1000, 'x');
  for (int n = 0; n < 4000; ++n) {
    if (backend->key_groups().Contains(KeyGroupOf(KeyN(n), 128))) {
      ASSERT_TRUE(value.Put(KeyN(n), big).ok());
    }
  }
  auto first = *backend->Snapshot(1);

  // The same range: the files are linked, and the next snapshot only writes what changed.
  auto same = OpenOrDie(SubtaskOptions("same", 0, 2), first.handle, JobDir());
  ASSERT_TRUE(same->GetValueState("op.v")->Put("new", "small").ok());
  auto after = *same->Snapshot(2);
  EXPECT_LT(after.new_bytes * 10, first.new_bytes);

  // A narrower range copies its key groups into a new database, whose files are all new.
  auto narrower = OpenOrDie(SubtaskOptions("narrower", 0, 3), first.handle, JobDir());
  auto copied = *narrower->Snapshot(2);
  EXPECT_GT(copied.new_bytes * 10, first.new_bytes);
  std::string out;
  for (int n = 0; n < 4000; ++n) {
    const int group = KeyGroupOf(KeyN(n), 128);
    if (!backend->key_groups().Contains(group)) continue;
    EXPECT_EQ(*narrower->GetValueState("op.v")->Get(KeyN(n), &out),
              narrower->key_groups().Contains(group));
  }
}

TEST_F(KeyedStateBackendTest, HandleWithoutKeyGroupsIsClippedToOurRange) {
  // Handles written before the key groups were recorded may hold any of them.
  auto old = OpenOrDie(Options("old"));
  WriteOwnedKeys(*old);
  auto snapshot = *old->Snapshot(1);
  nlohmann::json legacy = nlohmann::json::parse(snapshot.handle);
  ASSERT_EQ(legacy.erase("key_groups"), 1u);
  for (int subtask = 0; subtask < 2; ++subtask) {
    auto restored = OpenOrDie(SubtaskOptions(absl::StrCat("new", subtask), subtask, 2),
                              legacy.dump(), JobDir());
    ASSERT_TRUE(restored);
    ExpectExactlyOwnedKeys(*restored);
  }
}

TEST_F(KeyedStateBackendTest, StateFamiliesOfTheOldInstancesExistAfterARescale) {
  auto old = OpenOrDie(SubtaskOptions("old", 0, 1));
  ASSERT_TRUE(old->GetMapState("op.never-written").ok());
  ASSERT_TRUE(old->GetValueState("op.v")->Put("k", "v").ok());
  auto snapshot = *old->Snapshot(1);
  auto rescaled = OpenOrDie(SubtaskOptions("new", 1, 2), snapshot.handle, JobDir());
  ASSERT_TRUE(rescaled);
  auto copied = rescaled->Snapshot(2);
  ASSERT_TRUE(copied.ok()) << copied.status();
  // The snapshot's OPTIONS file names every column family of the database.
  bool found = false;
  for (const auto& file : copied->files) {
    if (fs::path(file).filename().string().find("OPTIONS") == std::string::npos) continue;
    std::ifstream in(fs::path(JobDir()) / file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    found |= text.find("op.never-written") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

TEST_F(KeyedStateBackendTest, AnotherMaxParallelismOrABadRangeIsRefused) {
  auto old = OpenOrDie(Options("old"));
  ASSERT_TRUE(old->GetValueState("op.v")->Put("k", "v").ok());
  auto snapshot = *old->Snapshot(1);
  StateBackendOptions other = Options("other");
  other.max_parallelism = 256;
  EXPECT_EQ(KeyedStateBackend::Open(other, snapshot.handle, JobDir()).status().code(),
            absl::StatusCode::kInvalidArgument);
  StateBackendOptions bad = Options("bad");
  bad.key_groups = KeyGroupRange{100, 200};
  EXPECT_EQ(KeyedStateBackend::Open(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ec
