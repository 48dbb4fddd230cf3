// SASL SCRAM client computations (RFC 5802 section 3) over OpenSSL's PBKDF2, HMAC and digests.
#include "connectors/kafka/kafka_scram.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace ec {
namespace {

const EVP_MD* Digest(ScramHash hash) {
  return hash == ScramHash::kSha256 ? EVP_sha256() : EVP_sha512();
}

std::string Hmac(ScramHash hash, absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(Digest(hash), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string Hash(ScramHash hash, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, Digest(hash), nullptr);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string Xor(std::string a, absl::string_view b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] ^= b[i];
  return a;
}

std::string EscapeUsername(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"=", "=3D"}, {",", "=2C"}});
}

std::string ClientFirstBare(absl::string_view username, absl::string_view nonce) {
  return absl::StrCat("n=", EscapeUsername(username), ",r=", nonce);
}

}  // namespace

ScramClient::ScramClient(ScramHash hash, std::string username, std::string password,
                         std::string nonce)
    : hash_(hash),
      username_(std::move(username)),
      password_(std::move(password)),
      nonce_(std::move(nonce)) {
  if (nonce_.empty()) {
    unsigned char random[24];
    RAND_bytes(random, sizeof(random));
    nonce_ = absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(random), sizeof(random)));
  }
}

std::string ScramClient::ClientFirstMessage() const {
  return absl::StrCat("n,,", ClientFirstBare(username_, nonce_));
}

absl::StatusOr<std::string> ScramClient::ClientFinalMessage(absl::string_view server_first) {
  std::string server_nonce, salt_b64;
  int iterations = 0;
  for (absl::string_view part : absl::StrSplit(server_first, ',')) {
    if (part.size() < 2 || part[1] != '=') continue;
    const absl::string_view value = part.substr(2);
    switch (part[0]) {
      case 'r':
        server_nonce = std::string(value);
        break;
      case 's':
        salt_b64 = std::string(value);
        break;
      case 'i':
        if (!absl::SimpleAtoi(value, &iterations)) iterations = 0;
        break;
      case 'e':
        return absl::UnauthenticatedError(absl::StrCat("SCRAM server error: ", value));
      default:
        break;
    }
  }
  std::string salt;
  if (server_nonce.empty() || iterations <= 0 || !absl::Base64Unescape(salt_b64, &salt)) {
    return absl::InvalidArgumentError("SCRAM server-first message malformed");
  }
  if (server_nonce.size() <= nonce_.size() || server_nonce.compare(0, nonce_.size(), nonce_) != 0) {
    return absl::UnauthenticatedError("SCRAM server nonce does not extend the client's");
  }
  const int size = EVP_MD_size(Digest(hash_));
  std::vector<unsigned char> salted(size);
  if (PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, Digest(hash_), size,
                        salted.data()) != 1) {
    return absl::InternalError("SCRAM: PBKDF2 failed");
  }
  const std::string salted_password(reinterpret_cast<char*>(salted.data()), salted.size());
  const std::string client_final_without_proof = absl::StrCat("c=biws,r=", server_nonce);
  const std::string auth_message = absl::StrCat(ClientFirstBare(username_, nonce_), ",",
                                                server_first, ",", client_final_without_proof);
  const std::string client_key = Hmac(hash_, salted_password, "Client Key");
  const std::string stored_key = Hash(hash_, client_key);
  const std::string client_signature = Hmac(hash_, stored_key, auth_message);
  const std::string proof = Xor(client_key, client_signature);
  const std::string server_key = Hmac(hash_, salted_password, "Server Key");
  expected_server_signature_ = Hmac(hash_, server_key, auth_message);
  return absl::StrCat(client_final_without_proof, ",p=", absl::Base64Escape(proof));
}

absl::Status ScramClient::VerifyServerFinal(absl::string_view server_final) const {
  for (absl::string_view part : absl::StrSplit(server_final, ',')) {
    if (part.size() < 2 || part[1] != '=') continue;
    if (part[0] == 'e') {
      return absl::UnauthenticatedError(absl::StrCat("SCRAM server error: ", part.substr(2)));
    }
    if (part[0] == 'v') {
      std::string signature;
      if (!absl::Base64Unescape(part.substr(2), &signature) || expected_server_signature_.empty() ||
          signature != expected_server_signature_) {
        return absl::UnauthenticatedError("SCRAM server signature does not match");
      }
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("SCRAM server-final message has no signature");
}

}  // namespace ec
