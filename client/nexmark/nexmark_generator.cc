// Nexmark's PersonGenerator, AuctionGenerator and BidGenerator, re-done over raw buffer writes:
// an event costs one seeded stream, a few dozen draws and a handful of short copies.
#include "client/nexmark/nexmark_generator.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "client/producer/fast_format.h"

namespace ec::nexmark {
namespace {

using ec::producer::Write4Digits;
using ec::producer::WriteText;
using ec::producer::WriteUint;

// Nexmark writes these as 8 bytes each when it estimates an event's size.
constexpr int64_t kLongBytes = 8;

inline char* WriteInt(char* out, int64_t value) {
  if (value < 0) {
    *out++ = '-';
    return WriteUint(out, static_cast<uint64_t>(-value));
  }
  return WriteUint(out, static_cast<uint64_t>(value));
}

template <size_t N>
inline std::string_view PickWord(EventRandom& random,
                                 const std::array<std::string_view, N>& words) {
  return words[random.Below(N)];
}

}  // namespace

NexmarkGenerator::NexmarkGenerator(Options options)
    : options_(options),
      seed_key_(EventRandom::Mix(options.seed + EventRandom::kGolden)),
      tables_(seed_key_) {}

std::string NexmarkGenerator::Event(uint64_t n) {
  char buffer[kMaxEventBytes];
  const char* end = WriteEvent(n, buffer);
  return std::string(buffer, static_cast<size_t>(end - buffer));
}

char* NexmarkGenerator::WriteEvent(uint64_t n, char* out) {
  EventRandom random(seed_key_, n);
  switch (KindOf(n)) {
    case EventKind::kPerson:
      return WritePerson(n, random, out);
    case EventKind::kAuction:
      return WriteAuction(n, random, out);
    case EventKind::kBid:
      break;
  }
  return WriteBid(n, random, out);
}

char* NexmarkGenerator::WritePerson(uint64_t n, EventRandom& random, char* out) {
  out = WriteText(out, R"({"event_type":0,"person":{"id":)");
  out = WriteInt(out, LastBase0PersonId(n) + kFirstPersonId);
  int64_t size = kLongBytes;  // Nexmark's estimate: the id, then every string's length

  out = WriteText(out, R"(,"name":")");
  char* field = out;
  out = WriteText(out, PickWord(random, kFirstNames));
  *out++ = ' ';
  out = WriteText(out, PickWord(random, kLastNames));
  size += out - field;

  out = WriteText(out, R"(","emailAddress":")");
  field = out;
  out = WriteRandomString(random, 7, ' ', out);
  *out++ = '@';
  out = WriteRandomString(random, 5, ' ', out);
  out = WriteText(out, ".com");
  size += out - field;

  out = WriteText(out, R"(","creditCard":")");
  field = out;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) *out++ = ' ';
    out = Write4Digits(out, static_cast<uint32_t>(random.Below(10'000)));
  }
  size += out - field;

  out = WriteText(out, R"(","city":")");
  field = out;
  out = WriteText(out, PickWord(random, kUsCities));
  size += out - field;

  out = WriteText(out, R"(","state":")");
  field = out;
  out = WriteText(out, PickWord(random, kUsStates));
  size += out - field;

  out = WriteText(out, R"(","dateTime":")");
  out = WriteTimestamp(EventTimeMillis(n), out);
  out = WriteText(out, R"(","extra":")");
  out = WriteText(out, PickExtra(random, size, kAvgPersonBytes));
  return WriteText(out, R"("},"auction":null,"bid":null})");
}

char* NexmarkGenerator::WriteAuction(uint64_t n, EventRandom& random, char* out) {
  const int64_t timestamp = EventTimeMillis(n);
  out = WriteText(out, R"({"event_type":1,"person":null,"auction":{"id":)");
  out = WriteInt(out, LastBase0AuctionId(n) + kFirstAuctionId);

  out = WriteText(out, R"(,"itemName":")");
  char* field = out;
  out = WriteRandomString(random, 20, ' ', out);
  // Nexmark's estimate: the id, name, description and five more longs.
  int64_t size = kLongBytes + (out - field) + 5 * kLongBytes;

  out = WriteText(out, R"(","description":")");
  field = out;
  out = WriteRandomString(random, 100, ' ', out);
  size += out - field;

  const int64_t initial_bid = NextPrice(random);
  out = WriteText(out, R"(","initialBid":)");
  out = WriteInt(out, initial_bid);
  out = WriteText(out, R"(,"reserve":)");
  out = WriteInt(out, initial_bid + NextPrice(random));

  out = WriteText(out, R"(,"dateTime":")");
  out = WriteTimestamp(timestamp, out);
  out = WriteText(out, R"(","expires":")");
  out = WriteTimestamp(timestamp + NextAuctionLengthMs(n, random, timestamp), out);

  // P(the seller is hot) = 1 - 1/kHotSellersRatio: the first person of the current batch.
  int64_t seller = random.Below(kHotSellersRatio) > 0
                       ? (LastBase0PersonId(n) / kHotBatch) * kHotBatch
                       : NextBase0PersonId(n, random);
  out = WriteText(out, R"(","seller":)");
  out = WriteInt(out, seller + kFirstPersonId);
  out = WriteText(out, R"(,"category":)");
  out = WriteInt(out, kFirstCategoryId + static_cast<int64_t>(random.Below(kNumCategories)));

  out = WriteText(out, R"(,"extra":")");
  out = WriteText(out, PickExtra(random, size, kAvgAuctionBytes));
  return WriteText(out, R"("},"bid":null})");
}

char* NexmarkGenerator::WriteBid(uint64_t n, EventRandom& random, char* out) {
  // Every choice is drawn first, so that the two reads that miss the cache (the channel's URL
  // and the extra's slice of the 1 MiB block) are in flight while the record is written.
  // P(the auction is hot) = 1 - 1/kHotAuctionRatio: the first auction of the current batch.
  const int64_t auction = random.Below(kHotAuctionRatio) > 0
                              ? (LastBase0AuctionId(n) / kHotBatch) * kHotBatch
                              : NextBase0AuctionId(n, random);
  // Hot bidders are the second person of the batch, so that they are not the hot sellers.
  // (nexmark-flink adds kFirstPersonId to the bidder twice, naming people that do not exist
  // yet; Beam's original Nexmark adds it once, as here.)
  const int64_t bidder = random.Below(kHotBiddersRatio) > 0
                             ? (LastBase0PersonId(n) / kHotBatch) * kHotBatch + 1
                             : NextBase0PersonId(n, random);
  const int64_t price = NextPrice(random);
  const bool hot_channel = random.Below(2) > 0;  // half the bids: one of four hot channels
  const uint64_t channel =
      hot_channel ? random.Below(kHotChannels.size()) : random.Below(NexmarkTables::kNumChannels);
  const std::string_view url =
      hot_channel ? tables_.hot_url(channel) : tables_.channel_url(channel);
  __builtin_prefetch(url.data());
  const std::string_view extra = PickExtra(random, 4 * kLongBytes, kAvgBidBytes);
  __builtin_prefetch(extra.data());
  __builtin_prefetch(extra.data() + 64);

  out = WriteText(out, R"({"event_type":2,"person":null,"auction":null,"bid":{"auction":)");
  out = WriteInt(out, auction + kFirstAuctionId);
  out = WriteText(out, R"(,"bidder":)");
  out = WriteInt(out, bidder + kFirstPersonId);
  out = WriteText(out, R"(,"price":)");
  out = WriteInt(out, price);
  out = WriteText(out, R"(,"channel":")");
  if (hot_channel) {
    out = WriteText(out, kHotChannels[channel]);
  } else {
    out = WriteText(out, "channel-");
    out = WriteUint(out, channel);
  }
  out = WriteText(out, R"(","url":")");
  out = WriteText(out, url);
  out = WriteText(out, R"(","dateTime":")");
  out = WriteTimestamp(EventTimeMillis(n), out);
  out = WriteText(out, R"(","extra":")");
  out = WriteText(out, extra);
  return WriteText(out, R"("}})");
}

char* NexmarkGenerator::WriteTimestamp(int64_t unix_ms, char* out) {
  // The one ISO formatter, turned into Flink SQL's form: 'T' -> ' ', the 'Z' dropped (the
  // caller's next byte overwrites it).
  formatter_.Write(unix_ms, out);
  out[10] = ' ';
  return out + ec::producer::TimestampFormatter::kLength - 1;
}

std::string_view NexmarkGenerator::PickExtra(EventRandom& random, int64_t current_size,
                                             int64_t average) const {
  if (current_size > average) return {};
  const int64_t wanted = average - current_size;
  const auto delta = static_cast<int64_t>(std::floor(static_cast<double>(wanted) * 0.2 + 0.5));
  const int64_t length =
      wanted - delta + (delta == 0 ? 0 : static_cast<int64_t>(random.Below(2 * delta)));
  const std::string_view block = tables_.extra_block();
  const auto offset = random.Below(block.size() - static_cast<size_t>(length));
  return block.substr(offset, static_cast<size_t>(length));
}

int64_t NexmarkGenerator::NextBase0PersonId(uint64_t n, EventRandom& random) {
  // Among the last kNumActivePeople people, so the density of bids and auctions per person
  // does not fall over a long run; plus a few leads, ids not generated yet.
  const int64_t people = LastBase0PersonId(n) + 1;
  const int64_t active = std::min(people, kNumActivePeople);
  return people - active + static_cast<int64_t>(random.Below(active + kPersonIdLead));
}

int64_t NexmarkGenerator::NextBase0AuctionId(uint64_t n, EventRandom& random) {
  // Among the auctions likely still in flight, plus a few leads.
  const int64_t max_auction = LastBase0AuctionId(n);
  const int64_t min_auction = std::max<int64_t>(max_auction - kNumInFlightAuctions, 0);
  return min_auction +
         static_cast<int64_t>(random.Below(max_auction - min_auction + 1 + kAuctionIdLead));
}

int64_t NexmarkGenerator::NextPrice(EventRandom& random) {
  // 10^(u*6) as 2^(u * 6 * log2(10)): exp2 costs half of pow.
  constexpr double kSixDecadesLog2 = 6.0 * 3.321928094887362347870319429489390175864831393;
  const double price = std::exp2(random.NextDouble() * kSixDecadesLog2) * 100.0;
  return static_cast<int64_t>(std::floor(price + 0.5));
}

int64_t NexmarkGenerator::NextAuctionLengthMs(uint64_t n, EventRandom& random,
                                              int64_t timestamp) const {
  constexpr uint64_t kEventsForInFlightAuctions =
      kNumInFlightAuctions * kTotalProportion / kAuctionProportion;
  const int64_t horizon_ms = EventTimeMillis(n + kEventsForInFlightAuctions) - timestamp;
  const auto bound = static_cast<uint64_t>(std::max<int64_t>(horizon_ms * 2, 1));
  return 1 + static_cast<int64_t>(random.Below(bound));
}

}  // namespace ec::nexmark
