// The Windows event map on simdjson's on-demand API: raw tokens are copied, not re-serialised.
#include "operators/transforms/windows_event_map.h"

#include <charconv>
#include <cstring>

#include "runtime/time_format.h"

namespace ec {
namespace {

using simdjson::error_code;
using simdjson::ondemand::object;

// Output pieces are written at a pointer into room reserved once per event.
char* Put(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* PutInt(char* p, int64_t value) {
  return std::to_chars(p, p + 20, value).ptr;  // 20 characters hold any int64
}

// ASCII lower-casing of 8 bytes at once, and spaces as '_' if asked; other bytes, UTF-8 ones
// included, stay as they are. Safe on raw JSON tokens: escapes are lower-case letters or hex
// digits, and never contain spaces.
uint64_t LowerWord(uint64_t w, bool spaces_to_underscores) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080,
                     kLow7 = 0x7f7f7f7f7f7f7f7f;
  // Per byte, no carry between bytes: the high bit says ">= 'A'", "> 'Z'", "ASCII".
  const uint64_t low7 = w & kLow7;
  const uint64_t at_least_a = low7 + kOnes * (0x80 - 'A');
  const uint64_t above_z = low7 + kOnes * (0x80 - 'Z' - 1);
  const uint64_t upper = at_least_a & ~above_z & ~w & kHigh;
  w |= upper >> 2;  // 0x80 >> 2 == 'a' - 'A'
  if (spaces_to_underscores) {
    const uint64_t x = w ^ (kOnes * ' ');                         // zero bytes where spaces were
    const uint64_t space = ~(((x & kLow7) + kLow7) | x) & kHigh;  // exact zero-byte test
    w += (space >> 7) * ('_' - ' ');
  }
  return w;
}

// Copies `text` to p, lower-cased as LowerWord does, a word at a time: reads up to 7 bytes past
// the end of `text` (a token of a padded record) and writes as many past the end of the copy,
// which the caller leaves room for and overwrites.
char* PutLower(char* p, std::string_view text, bool spaces_to_underscores) {
  for (size_t i = 0; i < text.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    w = LowerWord(w, spaces_to_underscores);
    std::memcpy(p + i, &w, 8);
  }
  return p + text.size();
}

// Reads a string field's raw token, trimmed to its closing quote. The JSON parse step before
// this one validated the whole document, so the token's escapes and UTF-8 are well-formed.
error_code RawString(object& obj, const char* name, std::string_view* out, const char** field) {
  *field = name;
  std::string_view raw;
  if (auto e = obj.find_field_unordered(name).raw_json_token().get(raw)) return e;
  if (raw.empty() || raw.front() != '"') return simdjson::INCORRECT_TYPE;
  *out = StrictJson::TrimString(raw);
  return simdjson::SUCCESS;
}

// The input fields the map keeps, as bits of a set.
constexpr uint32_t kSeq = 1, kTimestamp = 2, kSource = 4, kLevel = 8, kEventId = 16, kComputer = 32,
                   kUser = 64, kMessage = 128, kAllFields = 255;

// The field whose key starts at `key` (just after its opening quote), or 0 for other keys.
// Compares the names with their closing quote: a key that matches has no escapes. Reads at most
// 10 bytes, within the record or its padding.
uint32_t FieldBitAt(const char* key) {
  auto is = [key](std::string_view quoted_name) {
    return std::memcmp(key, quoted_name.data(), quoted_name.size()) == 0;
  };
  switch (key[0]) {
    case 's':
      return is("seq\"") ? kSeq : is("source\"") ? kSource : 0;
    case 't':
      return is("timestamp\"") ? kTimestamp : 0;
    case 'l':
      return is("level\"") ? kLevel : 0;
    case 'e':
      return is("event_id\"") ? kEventId : 0;
    case 'c':
      return is("computer\"") ? kComputer : 0;
    case 'u':
      return is("user\"") ? kUser : 0;
    case 'm':
      return is("message\"") ? kMessage : 0;
    default:
      return 0;
  }
}

}  // namespace

error_code WindowsEventMap::Extract(simdjson::padded_string_view record, Fields& f,
                                    const char** field) {
  *field = "(document)";
  simdjson::ondemand::document doc;
  if (auto e = parser_.iterate(record).get(doc)) return e;
  object obj;
  if (auto e = doc.get_object().get(obj)) return e;
  // Looked up in output order: find_field_unordered is fastest when the input has that order.
  *field = "seq";
  if (auto e = obj.find_field_unordered("seq").get_int64().get(f.seq)) return e;
  if (auto e = RawString(obj, "timestamp", &f.timestamp, field)) return e;
  if (auto e = RawString(obj, "source", &f.source, field)) return e;
  if (auto e = RawString(obj, "level", &f.level, field)) return e;
  *field = "event_id";
  if (auto e = obj.find_field_unordered("event_id").get_int64().get(f.event_id)) return e;
  if (auto e = RawString(obj, "computer", &f.computer, field)) return e;
  if (auto e = RawString(obj, "user", &f.user, field)) return e;
  return RawString(obj, "message", &f.message, field);
}

bool WindowsEventMap::ExtractStrict(simdjson::padded_string_view record, Fields& f) {
  simdjson::ondemand::document doc;
  object obj;
  if (parser_.iterate(record).get(doc) || doc.get_object().get(obj)) return false;
  strict_.Reserve(record.length());
  uint32_t seen = 0;
  // One walk over the fields in input order, reading each value to its end (on demand skips
  // what is not read, and would leave it unchecked).
  for (auto result : obj) {
    simdjson::ondemand::field field;
    if (std::move(result).get(field)) return false;
    const uint32_t bit = FieldBitAt(field.key().raw());
    simdjson::ondemand::value& value = field.value();
    if (bit == 0) {
      bool ok;
      StrictJson::Key(field, &ok);
      if (!ok || !strict_.Value(value)) return false;
      continue;
    }
    // A field twice: which one the unfused map reads depends on find_field_unordered's search
    // order, so leave such records to it.
    if (seen & bit) return false;
    seen |= bit;
    if (bit == kSeq || bit == kEventId) {
      if (value.get_int64().get(bit == kSeq ? f.seq : f.event_id)) return false;
      continue;
    }
    std::string_view raw;
    if (!strict_.StringValue(value, &raw)) return false;
    switch (bit) {
      case kTimestamp:
        f.timestamp = raw;
        break;
      case kSource:
        f.source = raw;
        break;
      case kLevel:
        f.level = raw;
        break;
      case kComputer:
        f.computer = raw;
        break;
      case kUser:
        f.user = raw;
        break;
      default:
        f.message = raw;
        break;
    }
  }
  // Every field, and nothing after the object (DOM rejects trailing content).
  return seen == kAllFields && doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

void WindowsEventMap::Append(const Fields& f, std::string& out) const {
  static constexpr std::string_view kSeqKey = "{\"seq\":", kTimestampKey = ",\"timestamp\":",
                                    kSourceKey = ",\"source\":", kLevelKey = ",\"level\":",
                                    kSeverityKey = ",\"severity\":", kEventIdKey = ",\"event_id\":",
                                    kComputerKey = ",\"computer\":", kUserKey = ",\"user\":",
                                    kMessageKey = ",\"message\":",
                                    kProcessedAtKey = ",\"processed_at\":";
  const size_t most = kSeqKey.size() + 20 + kTimestampKey.size() + f.timestamp.size() +
                      kSourceKey.size() + f.source.size() + kLevelKey.size() + kSeverityKey.size() +
                      2 * f.level.size() + kEventIdKey.size() + 20 + kComputerKey.size() +
                      f.computer.size() + kUserKey.size() + f.user.size() + kMessageKey.size() +
                      f.message.size() + kProcessedAtKey.size() + processed_at_.size() + 1 +
                      7;  // + what PutLower writes past its copy
  const size_t start = out.size();
  out.resize(start + most);
  char* p = out.data() + start;
  p = PutInt(Put(p, kSeqKey), f.seq);
  p = Put(Put(p, kTimestampKey), f.timestamp);
  p = Put(Put(p, kSourceKey), f.source);
  p = Put(Put(p, kLevelKey), f.level);
  // severity: the level's raw token again, lower-cased, spaces as '_'.
  p = PutLower(Put(p, kSeverityKey), f.level, /*spaces_to_underscores=*/true);
  p = PutInt(Put(p, kEventIdKey), f.event_id);
  p = PutLower(Put(p, kComputerKey), f.computer, /*spaces_to_underscores=*/false);
  p = Put(Put(p, kUserKey), f.user);
  p = Put(Put(p, kMessageKey), f.message);
  p = Put(Put(p, kProcessedAtKey), processed_at_);
  *p++ = '}';
  out.resize(static_cast<size_t>(p - out.data()));
}

void WindowsEventMap::StartBatch() {
  processed_at_.assign("\"");
  AppendIsoMillis(NowUnixMillis(), processed_at_);
  processed_at_.push_back('"');
}

bool WindowsEventMap::ParseAndMap(simdjson::padded_string_view record, std::string& out) {
  Fields fields;
  if (!ExtractStrict(record, fields)) return false;
  Append(fields, out);
  return true;
}

absl::Status WindowsEventMap::MapValidated(simdjson::padded_string_view view,
                                           std::string_view record, RecordBatch& out) {
  Fields fields;
  const char* field = "";
  error_code e = Extract(view, fields, &field);
  if (!e) {
    Append(fields, out.buffer());
    out.Commit();
    return absl::OkStatus();
  }
  std::string reason = std::string("field '") + field + "': " + simdjson::error_message(e);
  return dead_letters_->Write(record, reason);
}

absl::Status WindowsEventMap::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  StartBatch();
  for (size_t i = 0; i < in.size(); ++i) {
    if (auto s = MapValidated(PaddedRecord(in, i, scratch_), in[i], out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace ec
