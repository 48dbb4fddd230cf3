// Allocation-free writers of decimal and hex numbers into a raw buffer, for the event hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ec::producer {

namespace fast_format_internal {

// "00".."99" back to back: one table lookup writes two digits.
inline constexpr char kDigitPairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

}  // namespace fast_format_internal

// Copies `text` to `out`; returns the end of what was written. Fixed-size, overlapping copies
// instead of a memcpy call: the event hot path copies about twenty short runs per line, where
// the call and size dispatch of memcpy cost more than the bytes. Never reads outside `text`.
inline char* WriteText(char* out, std::string_view text) {
  const char* src = text.data();
  const size_t n = text.size();
  if (n >= 16) {
    for (size_t i = 0; i + 16 < n; i += 16) std::memcpy(out + i, src + i, 16);
    std::memcpy(out + n - 16, src + n - 16, 16);
  } else if (n >= 8) {
    std::memcpy(out, src, 8);
    std::memcpy(out + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(out, src, 4);
    std::memcpy(out + n - 4, src + n - 4, 4);
  } else if (n > 0) {
    out[0] = src[0];
    out[n / 2] = src[n / 2];
    out[n - 1] = src[n - 1];
  }
  return out + n;
}

// Writes exactly two decimal digits of `value` (< 100).
inline char* Write2Digits(char* out, uint32_t value) {
  std::memcpy(out, &fast_format_internal::kDigitPairs[2 * value], 2);
  return out + 2;
}

// Writes exactly four decimal digits of `value` (< 10000), zero-padded.
inline char* Write4Digits(char* out, uint32_t value) {
  out = Write2Digits(out, value / 100);
  return Write2Digits(out, value % 100);
}

// Writes `value` in decimal without leading zeros (at most 20 characters).
inline char* WriteUint(char* out, uint64_t value) {
  char scratch[20];
  char* end = scratch + sizeof(scratch);
  char* p = end;
  while (value >= 100) {
    p -= 2;
    std::memcpy(p, &fast_format_internal::kDigitPairs[2 * (value % 100)], 2);
    value /= 100;
  }
  if (value >= 10) {
    p -= 2;
    std::memcpy(p, &fast_format_internal::kDigitPairs[2 * value], 2);
  } else {
    *--p = static_cast<char>('0' + value);
  }
  const size_t length = static_cast<size_t>(end - p);
  std::memcpy(out, p, length);
  return out + length;
}

// Writes the low `digits` hex digits of `value`, zero-padded, lower case.
inline char* WriteHex(char* out, uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kHex[value & 0xf];
    value >>= 4;
  }
  return out + digits;
}

}  // namespace ec::producer
