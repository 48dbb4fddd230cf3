// The text Nexmark's events are drawn from: fixed word lists (names, cities, states, hot
// channels) and, made from the seed, the block that `extra` strings are cut from and the
// channels' URLs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/nexmark/event_random.h"

namespace ec::nexmark {

// Nexmark's word lists (few values, so example queries find matches on small runs).
inline constexpr std::array<std::string_view, 6> kUsStates = {"AZ", "CA", "ID", "OR", "WA", "WY"};
inline constexpr std::array<std::string_view, 10> kUsCities = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
    "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
inline constexpr std::array<std::string_view, 11> kFirstNames = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
inline constexpr std::array<std::string_view, 9> kLastNames = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
inline constexpr std::array<std::string_view, 4> kHotChannels = {"Google", "Facebook", "Baidu",
                                                                 "Apple"};

// Writes Nexmark's StringsGenerator.nextString: 3 to max_length - 1 random lower-case letters,
// each replaced by `special` with probability 1/13, then trimmed of spaces at both ends (so
// possibly shorter). Returns the end of what was written (at most max_length - 1 bytes).
char* WriteRandomString(EventRandom& random, int max_length, char special, char* out);

// Built once per generator (a few milliseconds); immutable afterwards, so it may be shared by
// threads.
class NexmarkTables {
 public:
  // The block `extra` strings are substrings of (Nexmark's REUSABLE_EXTRA_STRING).
  static constexpr size_t kExtraBlockBytes = size_t{1} << 20;
  static constexpr int kNumChannels = 10'000;

  explicit NexmarkTables(uint64_t seed_key);

  std::string_view extra_block() const { return extra_block_; }
  // The URL of hot channel i (0..3), and of "channel-<i>" (0..kNumChannels-1).
  std::string_view hot_url(size_t i) const { return Url(i); }
  std::string_view channel_url(size_t i) const { return Url(kHotChannels.size() + i); }

 private:
  std::string_view Url(size_t i) const {
    return std::string_view(urls_).substr(url_offsets_[i], url_offsets_[i + 1] - url_offsets_[i]);
  }

  std::string extra_block_;
  std::string urls_;                 // hot channels' URLs, then the other channels', back to back
  std::vector<uint32_t> url_offsets_;  // url i is urls_[offsets[i], offsets[i+1])
};

}  // namespace ec::nexmark
