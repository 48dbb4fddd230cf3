// ClusterSecret: loading, HMAC-SHA256 (OpenSSL), nonces and constant-time compares.
#include "runtime/security/cluster_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/logging.h"

namespace ec {

absl::StatusOr<std::shared_ptr<const ClusterSecret>> ClusterSecret::Load(const std::string& file) {
  std::string key, origin;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read --cluster-secret-file ", file));
    std::stringstream text;
    text << in.rdbuf();
    key = std::string(absl::StripTrailingAsciiWhitespace(text.str()));
    origin = absl::StrCat("--cluster-secret-file ", file);
    struct stat st {};
    if (stat(file.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) {
      Logger("security")->warn("{} is readable by group or others (mode {:o}); chmod 600 it",
                               origin, st.st_mode & 0777);
    }
  } else if (const char* env = std::getenv("EC_CLUSTER_SECRET"); env && *env) {
    key = env;
    origin = "EC_CLUSTER_SECRET";
  } else {
    return std::shared_ptr<const ClusterSecret>();
  }
  if (key.size() < kMinLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the cluster secret of ", origin, " is shorter than ", kMinLength,
                     " bytes (make one with: openssl rand -hex 32)"));
  }
  return std::shared_ptr<const ClusterSecret>(new ClusterSecret(std::move(key), origin));
}

std::shared_ptr<const ClusterSecret> ClusterSecret::FromString(std::string key) {
  return std::shared_ptr<const ClusterSecret>(new ClusterSecret(std::move(key), "a string"));
}

ClusterSecret::Mac ClusterSecret::Sign(std::initializer_list<absl::string_view> parts) const {
  std::string message;
  for (absl::string_view p : parts) {
    const uint32_t n = static_cast<uint32_t>(p.size());
    message.append({static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                    static_cast<char>(n >> 8), static_cast<char>(n)});
    message.append(p.data(), p.size());
  }
  Mac mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  return mac;
}

bool ClusterSecret::Verify(absl::string_view mac, std::initializer_list<absl::string_view> parts) const {
  const Mac expected = Sign(parts);
  return ConstantTimeEqual(
      mac, absl::string_view(reinterpret_cast<const char*>(expected.data()), expected.size()));
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed: no randomness for a nonce");
  }
  return out;
}

bool ConstantTimeEqual(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool HexDecode(absl::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

void RefusalLog::Refused(const std::string& peer, const std::string& reason) {
  int64_t suppressed = 0;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now - last_ < interval_) {
      ++suppressed_;
      return;
    }
    last_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
  }
  Logger("security")->warn("{} from {} refused: {}{}", what_, peer, reason,
                           suppressed ? absl::StrCat(" (", suppressed, " more refused before)") : "");
}

}  // namespace ec
