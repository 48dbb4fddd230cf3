// NexmarkGenerator: nexmark-flink's record shapes, Nexmark's mix, ids, skew and event time,
// and determinism in (seed, event number).
#include "client/nexmark/nexmark_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

namespace ec::nexmark {
namespace {

using Json = nlohmann::ordered_json;

constexpr uint64_t kEvents = 50'000;

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

std::vector<Json> Generate(NexmarkGenerator::Options options, uint64_t count) {
  NexmarkGenerator generator(options);
  std::vector<Json> events;
  events.reserve(count);
  for (uint64_t n = 0; n < count; ++n) events.push_back(Json::parse(generator.Event(n)));
  return events;
}

TEST(NexmarkGeneratorTest, SameSeedGivesSameBytes) {
  NexmarkGenerator a({.seed = 7});
  NexmarkGenerator b({.seed = 7});
  for (uint64_t n = 0; n < 5000; ++n) ASSERT_EQ(a.Event(n), b.Event(n)) << n;
  // Order of generation does not matter: event n is a function of (seed, n) alone.
  EXPECT_EQ(a.Event(4321), NexmarkGenerator({.seed = 7}).Event(4321));
}

TEST(NexmarkGeneratorTest, DifferentSeedGivesDifferentEvents) {
  NexmarkGenerator a({.seed = 7});
  NexmarkGenerator b({.seed = 8});
  int same = 0;
  for (uint64_t n = 0; n < 1000; ++n) same += a.Event(n) == b.Event(n);
  EXPECT_EQ(same, 0);
}

TEST(NexmarkGeneratorTest, KindsComeInNexmarksProportions) {
  std::map<int, int> kinds;
  for (const Json& event : Generate({}, kEvents)) ++kinds[event["event_type"].get<int>()];
  EXPECT_EQ(kinds[0], 1000);
  EXPECT_EQ(kinds[1], 3000);
  EXPECT_EQ(kinds[2], 46000);
  EXPECT_EQ(kinds.size(), 3u);
}

TEST(NexmarkGeneratorTest, RecordsHaveExactlyTheFieldsOfFlinksKafkaTable) {
  const std::regex timestamp(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})");
  NexmarkGenerator generator({.seed = 3});
  for (uint64_t n = 0; n < 5000; ++n) {
    const std::string line = generator.Event(n);
    const Json event = Json::parse(line);
    // Compact, in the table's field order, no escapes: printing it back gives the same bytes.
    ASSERT_EQ(event.dump(), line);
    ASSERT_EQ(Keys(event), (std::vector<std::string>{"event_type", "person", "auction", "bid"}));
    const int kind = event["event_type"].get<int>();
    const char* names[] = {"person", "auction", "bid"};
    for (int k = 0; k < 3; ++k) ASSERT_EQ(event[names[k]].is_null(), k != kind) << line;
    const Json& row = event[names[kind]];
    std::vector<std::string> strings, numbers, times;
    if (kind == 0) {
      ASSERT_EQ(Keys(row), (std::vector<std::string>{"id", "name", "emailAddress", "creditCard",
                                                     "city", "state", "dateTime", "extra"}));
      numbers = {"id"};
      strings = {"name", "emailAddress", "creditCard", "city", "state", "extra"};
      times = {"dateTime"};
      EXPECT_TRUE(std::regex_match(row["creditCard"].get<std::string>(),
                                   std::regex(R"(\d{4} \d{4} \d{4} \d{4})")));
    } else if (kind == 1) {
      ASSERT_EQ(Keys(row), (std::vector<std::string>{"id", "itemName", "description",
                                                     "initialBid", "reserve", "dateTime",
                                                     "expires", "seller", "category", "extra"}));
      numbers = {"id", "initialBid", "reserve", "seller", "category"};
      strings = {"itemName", "description", "extra"};
      times = {"dateTime", "expires"};
    } else {
      ASSERT_EQ(Keys(row), (std::vector<std::string>{"auction", "bidder", "price", "channel",
                                                     "url", "dateTime", "extra"}));
      numbers = {"auction", "bidder", "price"};
      strings = {"channel", "url", "extra"};
      times = {"dateTime"};
    }
    for (const auto& name : numbers) ASSERT_TRUE(row[name].is_number_integer()) << name;
    for (const auto& name : strings) ASSERT_TRUE(row[name].is_string()) << name;
    for (const auto& name : times) {
      ASSERT_TRUE(std::regex_match(row[name].get<std::string>(), timestamp)) << line;
    }
  }
}

TEST(NexmarkGeneratorTest, IdsReferToGeneratedOrInFlightOnes) {
  int64_t last_person = -1, last_auction = -1;
  for (const Json& event : Generate({.seed = 11}, kEvents)) {
    const int kind = event["event_type"].get<int>();
    if (kind == 0) {
      const int64_t id = event["person"]["id"].get<int64_t>();
      ASSERT_EQ(id, last_person < 0 ? kFirstPersonId : last_person + 1);  // dense, in order
      last_person = id;
    } else if (kind == 1) {
      const Json& auction = event["auction"];
      const int64_t id = auction["id"].get<int64_t>();
      ASSERT_EQ(id, last_auction < 0 ? kFirstAuctionId : last_auction + 1);
      last_auction = id;
      const int64_t seller = auction["seller"].get<int64_t>();
      ASSERT_GE(seller, std::max(kFirstPersonId, last_person - kNumActivePeople));
      ASSERT_LE(seller, last_person + kPersonIdLead);
      ASSERT_GE(auction["category"].get<int64_t>(), kFirstCategoryId);
      ASSERT_LT(auction["category"].get<int64_t>(), kFirstCategoryId + kNumCategories);
      ASSERT_GE(auction["reserve"].get<int64_t>(), auction["initialBid"].get<int64_t>());
      ASSERT_GT(auction["expires"].get<std::string>(), auction["dateTime"].get<std::string>());
    } else {
      const Json& bid = event["bid"];
      const int64_t auction = bid["auction"].get<int64_t>();
      ASSERT_GE(auction, std::max(kFirstAuctionId, last_auction - kNumInFlightAuctions));
      ASSERT_LE(auction, last_auction + kAuctionIdLead);
      const int64_t bidder = bid["bidder"].get<int64_t>();
      ASSERT_GE(bidder, std::max(kFirstPersonId, last_person - kNumActivePeople));
      ASSERT_LE(bidder, last_person + kPersonIdLead);
      ASSERT_GE(bid["price"].get<int64_t>(), 100);
      ASSERT_LE(bid["price"].get<int64_t>(), 100'000'000);
    }
  }
  EXPECT_EQ(last_person, kFirstPersonId + 999);
  EXPECT_EQ(last_auction, kFirstAuctionId + 2999);
}

TEST(NexmarkGeneratorTest, EventTimeAdvancesAtTheConfiguredRate) {
  // 1000 events per second of event time: event n is n ms after the base time.
  NexmarkGenerator generator({.base_time_ms = kDefaultBaseTimeMillis, .events_per_second = 1000});
  EXPECT_EQ(Json::parse(generator.Event(0))["person"]["dateTime"], "2015-07-15 00:00:00.000");
  EXPECT_EQ(Json::parse(generator.Event(61'234))["bid"]["dateTime"], "2015-07-15 00:01:01.234");
  // nexmark-flink's default, 10M events/s: one second of event time per 10M events.
  NexmarkGenerator fast({});
  EXPECT_EQ(fast.EventTimeMillis(10'000'000), kDefaultBaseTimeMillis + 1000);
  EXPECT_EQ(fast.EventTimeMillis(9'999), kDefaultBaseTimeMillis);
  std::string previous;
  for (uint64_t n = 0; n < kEvents; n += 7) {
    const Json event = Json::parse(generator.Event(n));
    const char* kind[] = {"person", "auction", "bid"};
    const std::string time = event[kind[event["event_type"].get<int>()]]["dateTime"];
    ASSERT_GE(time, previous) << n;
    previous = time;
  }
  EXPECT_EQ(previous, "2015-07-15 00:00:49.994");  // the last n, 49994
}

TEST(NexmarkGeneratorTest, BidsFavourHotAuctionsAndBidders) {
  std::map<int64_t, int> per_auction, per_bidder;
  int bids = 0;
  for (const Json& event : Generate({.seed = 5}, kEvents)) {
    if (event["event_type"] != 2) continue;
    ++bids;
    ++per_auction[event["bid"]["auction"].get<int64_t>()];
    ++per_bidder[event["bid"]["bidder"].get<int64_t>()];
  }
  auto top = [](const std::map<int64_t, int>& counts) {
    int best = 0;
    for (const auto& [id, count] : counts) best = std::max(best, count);
    return best;
  };
  // Uniform over the ids seen, the top one would take about bids / ids; the hot auction of a
  // 100-auction batch takes about half of its 1,533 events' bids.
  const double uniform_auction = static_cast<double>(bids) / per_auction.size();
  EXPECT_GT(top(per_auction), 20 * uniform_auction) << per_auction.size() << " auctions";
  const double uniform_bidder = static_cast<double>(bids) / per_bidder.size();
  EXPECT_GT(top(per_bidder), 20 * uniform_bidder) << per_bidder.size() << " bidders";
}

TEST(NexmarkGeneratorTest, ExtraPadsToNexmarksAverageSizes) {
  // Nexmark's size estimate: 8 bytes a number, a string's length; extra makes up the rest.
  double person_total = 0, auction_total = 0, bid_total = 0;
  for (const Json& event : Generate({.seed = 9}, kEvents)) {
    const int kind = event["event_type"].get<int>();
    if (kind == 0) {
      const Json& p = event["person"];
      person_total += 8;
      for (const char* f : {"name", "emailAddress", "creditCard", "city", "state", "extra"}) {
        person_total += p[f].get<std::string>().size();
      }
    } else if (kind == 1) {
      const Json& a = event["auction"];
      auction_total += 48 + a["itemName"].get<std::string>().size() +
                       a["description"].get<std::string>().size() +
                       a["extra"].get<std::string>().size();
    } else {
      bid_total += 32 + event["bid"]["extra"].get<std::string>().size();
    }
  }
  EXPECT_NEAR(person_total / 1000, kAvgPersonBytes, 3);
  EXPECT_NEAR(auction_total / 3000, kAvgAuctionBytes, 5);
  EXPECT_NEAR(bid_total / 46000, kAvgBidBytes, 1);
}

}  // namespace
}  // namespace ec::nexmark
