// Fuzzes the inputs of authentication: the --auth-token-file text and the Authorization header.
// A bad token file is refused naming the line, never echoing a token.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/security/user_tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ec::ParseTokenFile(text);
  if (parsed.ok()) {
    for (const auto& [user, token] : *parsed) {
      if (token.empty()) __builtin_trap();
    }
  }
  const absl::string_view bearer = ec::BearerToken(text);
  if (bearer.size() > text.size()) __builtin_trap();
  return 0;
}
