// Fuzzes a checkpoint's _metadata as the JobManager reads it on restore or --from-savepoint: a
// corrupt or hostile file must be refused with an error, and none of the state files it names
// may lie outside the checkpoint's directories.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "jobmanager/checkpoint_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  static const std::string root = [] {
    const fs::path dir = fs::temp_directory_path() / ("ec-fuzz-" + std::to_string(getpid()));
    fs::create_directories(dir / "job" / "chk-1");
    return (dir / "job").string();
  }();
  const std::string chk = root + "/chk-1";
  {
    std::ofstream out(chk + "/_metadata", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto read = ec::CheckpointStore::Read(chk);
  if (!read.ok()) return 0;
  // Every file it would restore from lies under the job's directory.
  const fs::path base = fs::path(read->base_dir);
  for (const std::string& file : read->files) {
    const std::string resolved = (base / file).lexically_normal().string();
    if (resolved.rfind(root + "/", 0) != 0) __builtin_trap();
  }
  if (fs::path(read->base_dir).lexically_normal().string().rfind(root, 0) != 0) __builtin_trap();
  return 0;
}
