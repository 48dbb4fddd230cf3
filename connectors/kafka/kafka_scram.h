// The client side of SASL SCRAM (RFC 5802, with SHA-256/SHA-512 per RFC 7677), as Kafka brokers
// speak it inside SaslAuthenticate: client-first, server-first, client-final, server-final.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ec {

enum class ScramHash { kSha256, kSha512 };

// One authentication exchange; not reusable. Not thread-safe. Errors never contain the password.
class ScramClient {
 public:
  // `nonce`: the client nonce; empty picks 24 random bytes (base64). Tests pass a fixed one.
  ScramClient(ScramHash hash, std::string username, std::string password, std::string nonce = "");

  // "n,,n=USER,r=NONCE" (the user name with '=' and ',' escaped as RFC 5802 says).
  std::string ClientFirstMessage() const;
  // From the server-first message (r=, s=, i=): "c=biws,r=NONCE,p=PROOF". InvalidArgument /
  // Unauthenticated when the server's message is malformed or its nonce does not extend ours.
  absl::StatusOr<std::string> ClientFinalMessage(absl::string_view server_first);
  // Checks the server-final message's signature (v=) — the server knows the password too —
  // or returns its error (e=). Unauthenticated on a mismatch.
  absl::Status VerifyServerFinal(absl::string_view server_final) const;

 private:
  ScramHash hash_;
  std::string username_;
  std::string password_;
  std::string nonce_;
  std::string expected_server_signature_;
};

}  // namespace ec
