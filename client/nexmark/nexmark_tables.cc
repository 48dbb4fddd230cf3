// Seeded text tables: the extra block and the channel URLs, as Nexmark's BidGenerator and
// StringsGenerator build theirs once per process (there from an unseeded random, here from the
// seed, so runs repeat).
#include "client/nexmark/nexmark_tables.h"

#include <cstring>

#include "client/producer/fast_format.h"

namespace ec::nexmark {
namespace {

using ec::producer::WriteText;
using ec::producer::WriteUint;

// Distinct streams for the tables, apart from every event's.
constexpr uint64_t kExtraStream = 0x45585452414E4558ULL;
constexpr uint64_t kUrlStream = 0x55524C5354524541ULL;

// Nexmark's getBaseUrl.
void AppendBaseUrl(EventRandom& random, std::string* out) {
  char buffer[96];
  char* p = WriteText(buffer, "https://www.nexmark.com/");
  for (int i = 0; i < 3; ++i) {
    p = WriteRandomString(random, 5, '_', p);
    *p++ = '/';
  }
  p = WriteText(p, "item.htm?query=1");
  out->append(buffer, static_cast<size_t>(p - buffer));
}

// Java's Integer.reverse: the 32 bits of i in reverse order, as a signed int.
int32_t ReverseBits(int32_t i) {
  uint32_t v = static_cast<uint32_t>(i);
  uint32_t r = 0;
  for (int bit = 0; bit < 32; ++bit) {
    r = (r << 1) | (v & 1);
    v >>= 1;
  }
  return static_cast<int32_t>(r);
}

}  // namespace

char* WriteRandomString(EventRandom& random, int max_length, char special, char* out) {
  const auto length = 3 + static_cast<int>(random.Below(static_cast<uint64_t>(max_length - 3)));
  char* const start = out;
  for (int i = 0; i < length; ++i) {
    const uint64_t bits = random.Next();
    *out++ = EventRandom::Pick32(bits, 13, false) == 0
                 ? special
                 : static_cast<char>('a' + EventRandom::Pick32(bits, 26, true));
  }
  if (special != ' ') return out;
  while (out > start && out[-1] == ' ') --out;  // Java's String.trim()
  char* first = start;
  while (first < out && *first == ' ') ++first;
  if (first != start) {
    std::memmove(start, first, static_cast<size_t>(out - first));
    out -= first - start;
  }
  return out;
}

NexmarkTables::NexmarkTables(uint64_t seed_key) {
  EventRandom extra_random(seed_key ^ kExtraStream, 0);
  extra_block_.resize(kExtraBlockBytes);
  for (size_t i = 0; i < kExtraBlockBytes; i += 8) {
    uint64_t bits = extra_random.Next();
    for (size_t j = 0; j < 8; ++j) {
      extra_block_[i + j] = static_cast<char>('a' + ((bits & 0xFF) * 26 >> 8));
      bits >>= 8;
    }
  }

  EventRandom url_random(seed_key ^ kUrlStream, 0);
  const size_t count = kHotChannels.size() + kNumChannels;
  url_offsets_.reserve(count + 1);
  urls_.reserve(count * 80);
  url_offsets_.push_back(0);
  for (size_t i = 0; i < count; ++i) {
    AppendBaseUrl(url_random, &urls_);
    // Most non-hot channels' URLs name the channel (Nexmark: 9 in 10).
    if (i >= kHotChannels.size() && url_random.Below(10) > 0) {
      const auto channel = static_cast<int32_t>(i - kHotChannels.size());
      // Math.abs of a reversed int; widened, so reverse(1) = INT_MIN stays positive.
      const int64_t reversed = ReverseBits(channel);
      char digits[24];
      char* p = WriteText(digits, "&channel_id=");
      p = WriteUint(p, static_cast<uint64_t>(reversed < 0 ? -reversed : reversed));
      urls_.append(digits, static_cast<size_t>(p - digits));
    }
    url_offsets_.push_back(static_cast<uint32_t>(urls_.size()));
  }
}

}  // namespace ec::nexmark
