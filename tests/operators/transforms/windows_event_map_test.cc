// WindowsEventMap: the output's field order, severity, lower-cased computer, processed_at, raw
// copies of escaped strings, and dead letters for missing or mistyped fields.
#include "operators/transforms/windows_event_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "runtime/time_format.h"
#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;

constexpr char kJob[] = R"({"name": "t", "pipeline": [
  {"type": "socket-source", "hostname": "h", "port": 1},
  {"type": "json-parse", "dead-letter-topic": "none"},
  {"name": "map", "type": "windows-event-map", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

constexpr char kEvent[] =
    R"({"seq":7,"timestamp":"2026-11-25T19:15:38.123Z","source":"Security",)"
    R"("level":"Audit Failure","event_id":4625,"computer":"WS-042.Corp.Example.COM",)"
    R"("user":"CORP\\alice","message":"An account failed to log on.","extra":"dropped"})";

constexpr char kMapped[] = R"({"seq":7,"timestamp":"2026-11-25T19:15:38.123Z","source":"Security",)"
                           R"("level":"Audit Failure","severity":"audit_failure","event_id":4625,)"
                           R"("computer":"ws-042.corp.example.com","user":"CORP\\alice",)"
                           R"("message":"An account failed to log on.","processed_at":)";

// The output without its processed_at value, which the test checks separately.
std::string WithoutProcessedAt(const std::string& record) {
  size_t at = record.find(R"("processed_at":)");
  return at == std::string::npos ? record : record.substr(0, at + 15);
}

std::string ProcessedAt(const std::string& record) {
  return nlohmann::json::parse(record).at("processed_at").get<std::string>();
}

class WindowsEventMapTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(map_.Open(harness_.context()).ok()); }

  std::vector<std::string> Map(const std::vector<std::string>& records) {
    return OperatorHarness::Run(map_, records);
  }

  // Maps one event with `field` replaced by the raw JSON `value` (or removed when empty) and
  // expects it to become a dead letter.
  void ExpectDeadLetter(const std::string& field, const std::string& value) {
    nlohmann::ordered_json event = nlohmann::ordered_json::parse(kEvent);
    if (value.empty()) {
      event.erase(field);
    } else {
      event[field] = nlohmann::ordered_json::parse(value);
    }
    const uint64_t before = harness_.counters().dead_letter();
    EXPECT_TRUE(Map({event.dump()}).empty()) << field << "=" << value;
    EXPECT_EQ(harness_.counters().dead_letter(), before + 1) << field << "=" << value;
  }

  OperatorHarness harness_{kJob, 2};
  WindowsEventMap map_;
};

TEST_F(WindowsEventMapTest, MapsAnEventToTheDocumentedFieldsInOrder) {
  std::vector<std::string> out = Map({kEvent});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(WithoutProcessedAt(out[0]), kMapped);
  std::vector<std::string> keys;
  const nlohmann::ordered_json mapped = nlohmann::ordered_json::parse(out[0]);
  for (const auto& [key, value] : mapped.items()) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"seq", "timestamp", "source", "level", "severity", "event_id",
                                      "computer", "user", "message", "processed_at"}));
}

TEST_F(WindowsEventMapTest, ProcessedAtIsTheWallClockInIsoMillis) {
  const int64_t before = NowUnixMillis();
  std::vector<std::string> out = Map({kEvent});
  const int64_t after = NowUnixMillis();
  ASSERT_EQ(out.size(), 1u);
  const std::string processed_at = ProcessedAt(out[0]);
  EXPECT_TRUE(
      std::regex_match(processed_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << processed_at;
  EXPECT_GE(processed_at, IsoMillis(before));
  EXPECT_LE(processed_at, IsoMillis(after));
}

TEST_F(WindowsEventMapTest, SeverityIsLevelLowerCasedWithUnderscores) {
  for (auto [level, severity] : std::vector<std::pair<std::string, std::string>>{
           {"Information", "information"},
           {"Audit Success", "audit_success"},
           {"CRITICAL ERROR NOW", "critical_error_now"}}) {
    nlohmann::json event = nlohmann::json::parse(kEvent);
    event["level"] = level;
    std::vector<std::string> out = Map({event.dump()});
    ASSERT_EQ(out.size(), 1u);
    auto mapped = nlohmann::json::parse(out[0]);
    EXPECT_EQ(mapped["level"], level);
    EXPECT_EQ(mapped["severity"], severity);
  }
}

TEST_F(WindowsEventMapTest, InputFieldOrderAndWhitespaceDoNotMatter) {
  const std::string shuffled =
      R"( { "extra" : [1, {"x": 2}], "message" : "An account failed to log on." ,)"
      R"( "user" : "CORP\\alice" , "computer" : "WS-042.Corp.Example.COM" , "event_id" : 4625 ,)"
      R"( "level" : "Audit Failure" , "source" : "Security" ,)"
      R"( "timestamp" : "2026-11-25T19:15:38.123Z" , "seq" : 7 } )";
  std::vector<std::string> out = Map({shuffled});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(WithoutProcessedAt(out[0]), kMapped);
}

TEST_F(WindowsEventMapTest, EscapedStringsAreCopiedVerbatim) {
  const std::string message = R"(line1\nline2 \"quoted\" \u00e9 \/ tab\t back\\slash)";
  const std::string user = R"(CORP\\b\u00F6b)";
  nlohmann::json event = nlohmann::json::parse(kEvent);
  std::string text = event.dump();
  text.replace(text.find(R"("An account failed to log on.")"),
               std::string(R"("An account failed to log on.")").size(), "\"" + message + "\"");
  text.replace(text.find(R"("CORP\\alice")"), std::string(R"("CORP\\alice")").size(),
               "\"" + user + "\"");
  std::vector<std::string> out = Map({text});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("\"message\":\"" + message + "\""), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("\"user\":\"" + user + "\""), std::string::npos) << out[0];
  EXPECT_TRUE(nlohmann::json::accept(out[0])) << out[0];
}

TEST_F(WindowsEventMapTest, LevelWithEscapesIsReencodedAsValidJson) {
  nlohmann::json event = nlohmann::json::parse(kEvent);
  event["level"] = "Odd \"Level\"\x01";
  std::vector<std::string> out = Map({event.dump()});
  ASSERT_EQ(out.size(), 1u);
  auto mapped = nlohmann::json::parse(out[0]);
  EXPECT_EQ(mapped["level"], "Odd \"Level\"\x01");
  EXPECT_EQ(mapped["severity"], "odd_\"level\"\x01");
}

TEST_F(WindowsEventMapTest, ComputerIsLowerCasedAndStaysValidWithEscapes) {
  std::string text = kEvent;
  text.replace(text.find("WS-042.Corp.Example.COM"), 23, R"(HOST-\u00C9\tX)");
  std::vector<std::string> out = Map({text});
  ASSERT_EQ(out.size(), 1u);
  auto mapped = nlohmann::json::parse(out[0]);
  EXPECT_EQ(mapped["computer"], "host-\u00c9\tx");  // ASCII lower-cased, the escape intact
}

TEST_F(WindowsEventMapTest, EachMissingFieldMakesADeadLetter) {
  for (const char* field :
       {"seq", "timestamp", "source", "level", "event_id", "computer", "user", "message"}) {
    ExpectDeadLetter(field, "");
  }
}

TEST_F(WindowsEventMapTest, FieldOfTheWrongTypeMakesADeadLetter) {
  ExpectDeadLetter("seq", R"("7")");
  ExpectDeadLetter("seq", "1.5");
  ExpectDeadLetter("timestamp", "1764098138123");
  ExpectDeadLetter("source", "null");
  ExpectDeadLetter("level", "3");
  ExpectDeadLetter("event_id", R"("4625")");
  ExpectDeadLetter("computer", "null");
  ExpectDeadLetter("user", "[]");
  ExpectDeadLetter("message", R"({"text": "x"})");
}

TEST_F(WindowsEventMapTest, NonObjectMakesADeadLetter) {
  EXPECT_TRUE(Map({"[1, 2, 3]", "\"event\""}).empty());
  EXPECT_EQ(harness_.counters().dead_letter(), 2u);
}

TEST_F(WindowsEventMapTest, ARejectedRecordLeavesNoPartialOutput) {
  nlohmann::ordered_json bad = nlohmann::ordered_json::parse(kEvent);
  bad.erase("message");  // fails after most of the output was written
  nlohmann::ordered_json second = nlohmann::ordered_json::parse(kEvent);
  second["seq"] = 8;
  std::vector<std::string> out = Map({kEvent, bad.dump(), second.dump()});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(out[0])["seq"], 7);
  EXPECT_EQ(nlohmann::json::parse(out[1])["seq"], 8);
  EXPECT_EQ(WithoutProcessedAt(out[1]), std::string(kMapped).replace(7, 1, "8"));
  EXPECT_EQ(harness_.counters().dead_letter(), 1u);
}

TEST_F(WindowsEventMapTest, RecordsOfABatchShareOneProcessedAt) {
  std::vector<std::string> in(50, kEvent);
  std::vector<std::string> out = Map(in);
  ASSERT_EQ(out.size(), 50u);
  for (const auto& record : out) EXPECT_EQ(ProcessedAt(record), ProcessedAt(out[0]));
}

}  // namespace
}  // namespace ec
