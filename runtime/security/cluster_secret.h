// ClusterSecret: the key the JobManager and its TaskManagers share and prove to each other
// without ever sending it (HMAC-SHA256 over fresh nonces), and the small crypto helpers the
// handshakes use.
#pragma once

#include "absl/strings/string_view.h"
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ec {

class ClusterSecret {
 public:
  static constexpr size_t kMinLength = 16;
  using Mac = std::array<uint8_t, 32>;

  // The secret of --cluster-secret-file `file` (trailing whitespace trimmed), else of the
  // environment variable EC_CLUSTER_SECRET; nullptr when neither is set. InvalidArgument, naming
  // the file or the variable but never the value, when it is shorter than kMinLength or the
  // file cannot be read.
  static absl::StatusOr<std::shared_ptr<const ClusterSecret>> Load(const std::string& file);
  static std::shared_ptr<const ClusterSecret> FromString(std::string key);

  // HMAC-SHA256 of the parts, each preceded by its length so no two lists collide.
  Mac Sign(std::initializer_list<absl::string_view> parts) const;
  // Whether `mac` (raw bytes) is Sign(parts), in time independent of where they differ.
  bool Verify(absl::string_view mac, std::initializer_list<absl::string_view> parts) const;

  // Where it came from ("file F" or "EC_CLUSTER_SECRET"), for messages.
  const std::string& origin() const { return origin_; }

 private:
  ClusterSecret(std::string key, std::string origin)
      : key_(std::move(key)), origin_(std::move(origin)) {}
  const std::string key_;
  const std::string origin_;
};

// `n` bytes from the system's CSPRNG.
std::string RandomBytes(size_t n);
bool ConstantTimeEqual(absl::string_view a, absl::string_view b);
std::string HexEncode(absl::string_view bytes);
// False when `hex` is not an even number of hex digits.
bool HexDecode(absl::string_view hex, std::string* out);

// Refusals are logged with the peer's address, but a flood of them must not flood the log:
// the first in each `interval` is logged, the rest are counted into the next line.
class RefusalLog {
 public:
  RefusalLog(std::string what, absl::Duration interval = absl::Seconds(10))
      : what_(std::move(what)), interval_(interval) {}
  void Refused(const std::string& peer, const std::string& reason);

 private:
  const std::string what_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ec
