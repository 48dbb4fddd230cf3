// JsonParseEventMap: the fused json-parse → windows-event-map pass emits the same bytes and
// dead-letters the same records, at the same step, as the two operators unfused; CreateChain
// fuses the pair and only the pair.
#include "operators/transforms/parse_map_fusion.h"

#include <gtest/gtest.h>

#include <random>

#include "client/producer/windows_events.h"
#include "operators/registry.h"
#include "tests/operators/operator_harness.h"

namespace ec {
namespace {

using test_support::OperatorHarness;

constexpr char kJob[] = R"({"name": "t", "pipeline": [
  {"type": "socket-source", "hostname": "h", "port": 1},
  {"name": "parse", "type": "json-parse", "dead-letter-topic": "none"},
  {"name": "map", "type": "windows-event-map", "dead-letter-topic": "none"},
  {"type": "discard-sink"}]})";

constexpr char kEvent[] =
    R"({"seq":7,"timestamp":"2026-11-25T19:15:38.123Z","source":"Security",)"
    R"("level":"Audit Failure","event_id":4625,"computer":"WS-042.Corp.Example.COM",)"
    R"("user":"CORP\\alice","message":"An account failed to log on."})";

// json-parse and windows-event-map of kJob as a task runs them: fused or not.
class Chain {
 public:
  explicit Chain(bool fuse) {
    auto spec = ParseJobSpec(kJob);
    EXPECT_TRUE(spec.ok()) << spec.status();
    auto chain = CreateChain(*spec, {.fuse = fuse});
    EXPECT_TRUE(chain.ok()) << chain.status();
    chain_ = *std::move(chain);
    EXPECT_TRUE(chain_[1]->Open(parse_.context()).ok());
    EXPECT_TRUE(chain_[2]->Open(map_.context()).ok());
  }

  bool fused() const { return chain_[1]->FusedSuccessors() == 1; }

  // Runs one batch through both steps, as the task's runner does, counting records between them.
  std::vector<std::string> Run(const std::vector<std::string>& records) {
    RecordBatch in, parsed, mapped;
    for (const auto& r : records) in.Append(r);
    EXPECT_TRUE(chain_[1]->ProcessBatch(in, parsed).ok());
    const RecordBatch* out = &parsed;
    if (fused()) {
      passed_ = chain_[1]->PassedOn(0);
    } else {
      passed_ = {parsed.size(), parsed.bytes()};
      EXPECT_TRUE(chain_[2]->ProcessBatch(parsed, mapped).ok());
      out = &mapped;
    }
    std::vector<std::string> emitted;
    for (size_t i = 0; i < out->size(); ++i) emitted.emplace_back((*out)[i]);
    return emitted;
  }

  RecordCount passed() const { return passed_; }
  uint64_t parse_dead_letters() { return parse_.counters().dead_letter(); }
  uint64_t map_dead_letters() { return map_.counters().dead_letter(); }

 private:
  OperatorHarness parse_{kJob, 1};
  OperatorHarness map_{kJob, 2};
  std::vector<std::unique_ptr<Operator>> chain_;
  RecordCount passed_;
};

// The output without its processed_at value (the wall clock of each run), which must be there.
std::string WithoutProcessedAt(const std::string& record) {
  const size_t at = record.rfind(R"(,"processed_at":")");
  EXPECT_NE(at, std::string::npos) << record;
  EXPECT_EQ(record.size(), at + 17 + 24 + 2)
      << record;  // ,"processed_at":"2026-11-25T19:15:38.123Z"}
  return record.substr(0, at);
}

// Replaces the first `from` in `text` (which must contain it) with `to`.
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// kEvent with `extra` inserted as its first field (`extra` ends with a comma).
std::string WithFirst(const std::string& extra) { return Replace(kEvent, "{", "{" + extra); }

// Records the two steps treat in every way they can: valid events of every shape, and records
// that json-parse or the map rejects for each reason.
std::vector<std::string> EdgeCases() {
  std::vector<std::string> cases = {
      kEvent,
      // Valid, other shapes: whitespace, order, extra fields of every type, escapes.
      std::string("  ") + kEvent + " \t",
      R"({ "message" : "m" , "user" : "u" , "computer" : "C" , "event_id" : 1 , "level" : "L" ,)"
      R"( "source" : "s" , "timestamp" : "t" , "seq" : 0 })",
      WithFirst(
          R"("extra":{"a":[1,-2.5e3,true,false,null,"x\"y",{"b":{}},[]],"c":"\u00e9\ud83d\ude00"},)"),
      WithFirst(R"("n":-0,"f":1E+2,"big":123456789012345678901234567890,)"),
      WithFirst(R"("e":"",)"),
      Replace(kEvent, "An account", R"(Tab\tnew\nline\/ \"q\" \\ \u0041\u00e9\b\f\r)"),
      Replace(kEvent, "WS-042", R"(H\u00C9ST)"),
      Replace(kEvent, "Audit Failure", R"(Odd \"Level\"\u0001)"),
      Replace(kEvent, "\"seq\":7", "\"seq\":-9223372036854775808"),
      Replace(kEvent, "\"event_id\":4625", "\"event_id\":9223372036854775807"),
      // Valid JSON the map rejects: a field missing or of the wrong type.
      Replace(kEvent, R"("seq":7,)", ""),
      Replace(kEvent, R"(,"message":"An account failed to log on.")", ""),
      Replace(kEvent, "\"seq\":7", "\"seq\":\"7\""),
      Replace(kEvent, "\"seq\":7", "\"seq\":7.0"),
      Replace(kEvent, "\"seq\":7", "\"seq\":1e2"),
      Replace(kEvent, "\"seq\":7", "\"seq\":-0"),
      Replace(kEvent, "\"seq\":7", "\"seq\":9223372036854775808"),
      Replace(kEvent, "\"event_id\":4625", "\"event_id\":null"),
      Replace(kEvent, "\"Security\"", "[\"Security\"]"),
      Replace(kEvent, "\"Security\"", "{\"x\":1}"),
      Replace(kEvent, "\"Audit Failure\"", "true"),
      // Valid JSON with a field twice or an escaped key: the map's own lookups decide.
      WithFirst(R"("seq":1,)"),
      Replace(kEvent, "}", R"(,"seq":8})"),
      Replace(kEvent, "}", R"(,"message":"second"})"),
      WithFirst(R"("timestamp":"first",)"),
      Replace(kEvent, R"("seq")", R"("se\u0071")"),
      WithFirst(R"("se\u0071":1,)"),
      WithFirst(R"("\"":1,)"),
      // Not JSON objects.
      "",
      "   ",
      "[1,2]",
      "42",
      "\"text\"",
      "null",
      "true",
      // Malformed: json-parse rejects them, whatever the map could read of them.
      std::string(kEvent).substr(0, 60),
      std::string(kEvent).substr(0, std::string(kEvent).size() - 1),
      std::string(kEvent) + " {}",
      std::string(kEvent) + " x",
      std::string(kEvent) + "}",
      WithFirst(R"("x":tru,)"),
      WithFirst(R"("x":nul,)"),
      WithFirst(R"("x":nullx,)"),
      WithFirst(R"("x":01,)"),
      WithFirst(R"("x":1.,)"),
      WithFirst(R"("x":-,)"),
      WithFirst(R"("x":1e400,)"),
      WithFirst(R"("x":[1,],)"),
      WithFirst(R"("x":[,1],)"),
      WithFirst(R"("x":{"a"},)"),
      WithFirst(R"("x":{"a":1,},)"),
      WithFirst(R"("x":{"a" 1},)"),
      WithFirst(R"("x":[1 2],)"),
      WithFirst(R"("x":"\x",)"),
      WithFirst(R"("x":"\u12",)"),
      WithFirst(R"("x":"\ud800",)"),
      WithFirst(R"("x":"\udc00",)"),
      WithFirst(R"("\x":1,)"),
      WithFirst(R"("x":1,,)"),
      WithFirst(std::string(R"("x":)") + std::string(100, '[') + std::string(100, ']') + ","),
      WithFirst(std::string(R"("x":)") + std::string(2000, '[') + std::string(2000, ']') + ","),
      Replace(kEvent, "An account", R"(C:\Windows)"),
      Replace(kEvent, "An account", "bad \x01 control"),
      Replace(kEvent, "An account", "bad \xff\xfe utf-8"),
      Replace(kEvent, "\"seq\":7", "\"seq\":07"),
      Replace(kEvent, "\"seq\":7", "\"seq\":7x"),
      Replace(kEvent, "\"seq\":7,", "\"seq\":7"),
      Replace(kEvent, "\"seq\":7", "\"seq\" 7"),
      Replace(kEvent, "\"Security\"", "\"Security\"x"),
      Replace(kEvent, "\"Security\"", "Security"),
      "{\"seq\":7}]",
      // A stray ':' after the last string value and one '}' too many (found by
      // event_parse_map_fuzzer): a string only peeked at was skipped by depth, which let the
      // ':' through, and the extra '}' closed the document.
      Replace(kEvent, R"(log on."})", R"(log on.":}})"),
      Replace(kEvent, R"(log on."})", R"(log on.","x":"y":}})"),
      Replace(kEvent, R"(log on."})", R"(log on.","x":["y":}})"),
      "{\"a\":{\"b\":1}",
  };
  return cases;
}

// Generated events (one in seven malformed as ec-producer makes them), each also with one byte
// deleted, replaced or inserted at a random place: mostly near misses of valid JSON.
std::vector<std::string> GeneratedCases(size_t count) {
  producer::EventGenerator::Options options;
  options.start_time_ms = 1764098138123;
  options.malformed_every = 7;
  producer::EventGenerator generator(42, options);
  std::mt19937_64 random(7);
  const std::string alphabet = "{}[],:\"\\ 0123456789.-+eEtruefalsn\x01\xc3\xa9";
  std::vector<std::string> cases;
  for (uint64_t seq = 0; cases.size() < count; ++seq) {
    std::string line;
    generator.AppendEvent(seq, &line);
    line.pop_back();  // the newline
    cases.push_back(line);
    std::string mutated = line;
    const size_t at = random() % mutated.size();
    const char c = alphabet[random() % alphabet.size()];
    switch (random() % 3) {
      case 0:
        mutated.erase(at, 1);
        break;
      case 1:
        mutated[at] = c;
        break;
      default:
        mutated.insert(at, 1, c);
        break;
    }
    cases.push_back(mutated);
  }
  return cases;
}

// Runs `records` through both chains in batches of `batch_size` and expects the same output
// bytes, the same records passed from json-parse to the map, and the same dead letters.
void ExpectSameAsUnfused(const std::vector<std::string>& records, size_t batch_size) {
  Chain fused(true), unfused(false);
  ASSERT_TRUE(fused.fused());
  ASSERT_FALSE(unfused.fused());
  for (size_t begin = 0; begin < records.size(); begin += batch_size) {
    const std::vector<std::string> batch(
        records.begin() + static_cast<ptrdiff_t>(begin),
        records.begin() + static_cast<ptrdiff_t>(std::min(records.size(), begin + batch_size)));
    const std::vector<std::string> a = fused.Run(batch);
    const std::vector<std::string> b = unfused.Run(batch);
    ASSERT_EQ(a.size(), b.size()) << "batch at " << begin;
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(WithoutProcessedAt(a[i]), WithoutProcessedAt(b[i])) << "batch at " << begin;
    }
    ASSERT_EQ(fused.passed().records, unfused.passed().records) << "batch at " << begin;
    ASSERT_EQ(fused.passed().bytes, unfused.passed().bytes) << "batch at " << begin;
    ASSERT_EQ(fused.parse_dead_letters(), unfused.parse_dead_letters()) << "batch at " << begin;
    ASSERT_EQ(fused.map_dead_letters(), unfused.map_dead_letters()) << "batch at " << begin;
  }
}

TEST(ParseMapFusionTest, CreateChainFusesParseFollowedByMap) {
  Chain fused(true);
  EXPECT_TRUE(fused.fused());
  Chain unfused(false);
  EXPECT_FALSE(unfused.fused());
}

TEST(ParseMapFusionTest, CreateChainLeavesOtherPairsAlone) {
  auto spec = ParseJobSpec(R"({"name": "t", "pipeline": [
      {"type": "socket-source", "hostname": "h", "port": 1},
      {"type": "json-parse"},
      {"type": "filter", "field": "level", "in": ["Error"]},
      {"type": "windows-event-map"},
      {"type": "discard-sink"}]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto chain = CreateChain(*spec);
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 5u);
  for (const auto& op : *chain) EXPECT_EQ(op->FusedSuccessors(), 0u);
}

TEST(ParseMapFusionTest, MapsAnEventInOnePass) {
  Chain fused(true);
  std::vector<std::string> out = fused.Run({kEvent});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(WithoutProcessedAt(out[0]),
            R"({"seq":7,"timestamp":"2026-11-25T19:15:38.123Z","source":"Security",)"
            R"("level":"Audit Failure","severity":"audit_failure","event_id":4625,)"
            R"("computer":"ws-042.corp.example.com","user":"CORP\\alice",)"
            R"("message":"An account failed to log on.")");
  EXPECT_EQ(fused.passed().records, 1u);
  EXPECT_EQ(fused.passed().bytes, std::string(kEvent).size());
}

TEST(ParseMapFusionTest, EachEdgeCaseAloneIsTreatedAsUnfused) {
  // One record a batch: each is dead-lettered by the same step, once, or mapped the same.
  ExpectSameAsUnfused(EdgeCases(), 1);
}

TEST(ParseMapFusionTest, EdgeCasesInOneBatchAreTreatedAsUnfused) {
  // Records followed by others in the batch buffer: nothing may be read past a record's end.
  ExpectSameAsUnfused(EdgeCases(), 1000);
}

TEST(ParseMapFusionTest, EdgeCasesCoverEveryOutcome) {
  Chain unfused(false);
  unfused.Run(EdgeCases());
  EXPECT_GT(unfused.parse_dead_letters(), 40u);
  EXPECT_GT(unfused.map_dead_letters(), 10u);
}

TEST(ParseMapFusionTest, GeneratedEventsAndNearMissesAreTreatedAsUnfused) {
  const std::vector<std::string> records = GeneratedCases(4000);
  ExpectSameAsUnfused(records, 1);
  ExpectSameAsUnfused(records, 97);
  ExpectSameAsUnfused(records, 4096);
}

TEST(ParseMapFusionTest, GeneratedEventsTakeTheOnePassPath) {
  // What makes the fusion worth it: well-formed events never need the DOM check.
  WindowsEventMap map;
  OperatorHarness harness(kJob, 2);
  ASSERT_TRUE(map.Open(harness.context()).ok());
  map.StartBatch();
  producer::EventGenerator::Options options;
  options.start_time_ms = 1764098138123;
  producer::EventGenerator generator(42, options);
  std::string line, out;
  for (uint64_t seq = 0; seq < 2000; ++seq) {
    line.clear();
    generator.AppendEvent(seq, &line);
    line.pop_back();
    simdjson::padded_string padded(line);
    ASSERT_TRUE(map.ParseAndMap(padded, out)) << line;
  }
}

TEST(ParseMapFusionTest, TheOnePassPathDeclinesWhatJsonParseRejects) {
  WindowsEventMap map;
  JsonParse parse;
  OperatorHarness map_harness(kJob, 2), parse_harness(kJob, 1);
  ASSERT_TRUE(map.Open(map_harness.context()).ok());
  ASSERT_TRUE(parse.Open(parse_harness.context()).ok());
  map.StartBatch();
  for (const std::string& record : EdgeCases()) {
    simdjson::padded_string padded(record);
    std::string out;
    const bool mapped = map.ParseAndMap(padded, out);
    if (parse.Check(padded) != nullptr) {
      EXPECT_FALSE(mapped) << record;
    }
    if (!mapped) {
      EXPECT_TRUE(out.empty()) << record;
    }
  }
}

TEST(ParseMapFusionTest, SeverityAndComputerLowerCaseOnlyAsciiLetters) {
  // Every printable ASCII character, UTF-8 and an escape, at every offset of a word: the map
  // lower-cases eight bytes at a time.
  std::string text;
  for (char c = ' '; c <= '~'; ++c) {
    if (c != '"' && c != '\\') text.push_back(c);
  }
  text += "\xc3\x89t\xc3\xa9 \\u00C9 END";
  for (size_t offset = 0; offset < 9; ++offset) {
    const std::string raw = text.substr(offset);
    std::string lower, severity;
    for (char c : raw) {
      const char l = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      lower.push_back(l);
      severity.push_back(c == ' ' ? '_' : l);
    }
    std::string event = Replace(kEvent, "Audit Failure", raw);
    event = Replace(event, "WS-042.Corp.Example.COM", raw);
    for (bool fuse : {true, false}) {
      Chain chain(fuse);
      std::vector<std::string> out = chain.Run({event});
      ASSERT_EQ(out.size(), 1u) << event;
      EXPECT_NE(out[0].find("\"severity\":\"" + severity + "\","), std::string::npos) << out[0];
      EXPECT_NE(out[0].find("\"computer\":\"" + lower + "\","), std::string::npos) << out[0];
      EXPECT_NE(out[0].find("\"level\":\"" + raw + "\","), std::string::npos) << out[0];
    }
  }
}

TEST(ParseMapFusionTest, EmptyBatchPassesNothing) {
  Chain fused(true);
  EXPECT_TRUE(fused.Run({}).empty());
  EXPECT_EQ(fused.passed().records, 0u);
  EXPECT_EQ(fused.passed().bytes, 0u);
}

}  // namespace
}  // namespace ec
