// Event lines assembled from the catalog's pre-escaped pieces with raw pointer writes: a line
// costs one hash pair, about twenty small copies and one append.
#include "client/producer/windows_events.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "client/producer/fast_format.h"

namespace ec::producer {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// splitmix64's finaliser: a bijective mix, so (seed, seq) -> bits is a counter-based generator.
inline uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Bit fields of h1; h2 feeds the numbers inside messages.
inline uint64_t KindBits(uint64_t h1) { return h1 & 0xFFFF; }
inline uint32_t HostNumber(uint64_t h1) { return (h1 >> 16) & 0x3FF; }
inline bool IsServer(uint64_t h1) { return ((h1 >> 26) & 0x7) == 0; }
inline uint64_t UserBits(uint64_t h1) { return (h1 >> 29) & 0xFF; }
inline uint64_t EntityBits(uint64_t h1) { return (h1 >> 37) & 0xFF; }
inline uint64_t DetailBits(uint64_t h1) { return (h1 >> 45) & 0xFF; }

// Maps 8 uniform bits onto the table by multiply-shift: no division on the hot path.
template <typename T>
inline const T& Pick(const std::vector<T>& table, uint64_t bits8) {
  return table[(bits8 * table.size()) >> 8];
}

// "WS-0042" (servers: "SRV-0007"), the short name; the full name adds the domain.
inline char* WriteHost(uint64_t h1, char* out) {
  if (IsServer(h1)) {
    out = WriteText(out, "SRV-");
    return Write4Digits(out, HostNumber(h1) % 48 + 1);
  }
  out = WriteText(out, "WS-");
  return Write4Digits(out, HostNumber(h1));
}

}  // namespace

EventGenerator::EventGenerator(uint64_t seed, Options options)
    : catalog_(EventCatalog::Get()), seed_key_(Mix(seed + kGolden)), options_(options) {
  // Malformed lines add at most the XML prefix to an event's length.
  if (catalog_.max_line_bytes() + 512 > kMaxLineBytes) {
    std::fprintf(stderr, "EventGenerator: catalog lines (%zu bytes) exceed kMaxLineBytes\n",
                 catalog_.max_line_bytes());
    std::abort();
  }
}

int64_t EventGenerator::WallClockMillis() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

int64_t EventGenerator::TimestampMillis(uint64_t seq, int64_t now_ms) const {
  if (!options_.start_time_ms.has_value()) return now_ms;
  // Unsigned arithmetic wraps instead of overflowing; the formatter clamps the result.
  return static_cast<int64_t>(static_cast<uint64_t>(*options_.start_time_ms) +
                              seq * static_cast<uint64_t>(options_.time_step_ms));
}

void EventGenerator::AppendEvent(uint64_t seq, std::string* out) {
  char line[kMaxLineBytes];
  const size_t length =
      WriteLine(seq, options_.start_time_ms.has_value() ? 0 : WallClockMillis(), line);
  out->append(line, length);
}

size_t EventGenerator::WriteLine(uint64_t seq, int64_t now_ms, char* out) {
  const uint64_t h1 = Mix(seed_key_ + (seq + 1) * kGolden);
  const uint64_t h2 = Mix(h1 ^ kGolden);
  const int64_t unix_ms = TimestampMillis(seq, now_ms);
  char* end = IsMalformed(seq) ? WriteMalformed(seq, h1, h2, unix_ms, out)
                               : WriteEvent(seq, h1, h2, unix_ms, out);
  return static_cast<size_t>(end - out);
}

char* EventGenerator::WriteEvent(uint64_t seq, uint64_t h1, uint64_t h2, int64_t unix_ms,
                                 char* out) {
  const EventKind& kind = catalog_.PickKind(KindBits(h1));
  const UserEntry& user = catalog_.PickUser(kind.user_class, UserBits(h1));
  char* p = WriteText(out, "{\"seq\":");
  p = WriteUint(p, seq);
  p = WriteText(p, ",\"timestamp\":\"");
  p = formatter_.Write(unix_ms, p);
  p = WriteText(p, kind.head);
  p = WriteHost(h1, p);
  p = WriteText(p, ".corp.example.com\",\"user\":\"");
  p = WriteText(p, user.user);
  p = WriteText(p, "\",\"message\":\"");
  for (const MessagePiece& piece : kind.message) {
    p = WriteText(p, piece.text);
    p = WriteSlot(piece.slot, user, h1, h2, p);
  }
  return WriteText(p, "\"}\n");
}

char* EventGenerator::WriteSlot(Slot slot, const UserEntry& user, uint64_t h1, uint64_t h2,
                                char* out) const {
  const CatalogTables& t = catalog_.tables();
  const uint64_t entity = EntityBits(h1);
  switch (slot) {
    case Slot::kNone:
      return out;
    case Slot::kUser:
      return WriteText(out, user.user);
    case Slot::kAccount:
      return WriteText(out, user.account);
    case Slot::kDomain:
      return WriteText(out, user.domain);
    case Slot::kSid:
      return WriteText(out, user.sid);
    case Slot::kHost:
      return WriteHost(h1, out);
    case Slot::kProcess:
      return WriteText(out, Pick(t.processes, entity).path);
    case Slot::kCommandLine:
      return WriteText(out, Pick(t.processes, entity).command_line);
    case Slot::kPid:
      // Windows process ids are multiples of 4.
      out = WriteText(out, "0x");
      return WriteHex(out, (h2 & 0xFFFC) | 0x100, 4);
    case Slot::kService:
      return WriteText(out, Pick(t.services, entity));
    case Slot::kState:
      return WriteText(out, Pick(t.states, DetailBits(h1)));
    case Slot::kInstalledService:
      return WriteText(out, Pick(t.installed_services, entity).name);
    case Slot::kInstalledServicePath:
      return WriteText(out, Pick(t.installed_services, entity).path);
    case Slot::kApp:
      return WriteText(out, Pick(t.apps, entity).name);
    case Slot::kAppVersion:
      return WriteText(out, Pick(t.apps, entity).version);
    case Slot::kAppPath:
      return WriteText(out, Pick(t.apps, entity).path);
    case Slot::kModule:
      return WriteText(out, Pick(t.apps, entity).module);
    case Slot::kHex:
      return WriteHex(out, h2 >> 32, 8);
    case Slot::kOffset:
      out = WriteText(out, "0x");
      return WriteHex(out, h2 & 0xFFFFF, 16);
    case Slot::kBucket:
      return WriteUint(out, 1'000'000'000 + (h2 >> 20) % 3'000'000'000);
    case Slot::kProduct:
      return WriteText(out, Pick(t.products, entity).name);
    case Slot::kProductVersion:
      return WriteText(out, Pick(t.products, entity).version);
    case Slot::kVendor:
      return WriteText(out, Pick(t.products, entity).vendor);
    case Slot::kLogonType:
      return WriteText(out, Pick(t.logon_types, DetailBits(h1)));
    case Slot::kIp:
      out = WriteText(out, "10.");
      out = WriteUint(out, (h2 >> 16) & 0xFF);
      *out++ = '.';
      out = WriteUint(out, (h2 >> 24) & 0xFF);
      *out++ = '.';
      return WriteUint(out, ((h2 >> 32) & 0xFF) % 254 + 1);
    case Slot::kDnsName:
      return WriteText(out, Pick(t.dns_names, entity));
    case Slot::kNewAccount:
      return WriteText(out, Pick(t.new_accounts, entity));
  }
  return out;
}

// A deterministic mix of the ways lines go bad in practice: cut off mid-write, another format
// on the same port, unquoted or missing values, a lost stream position, a bad escape, and two
// objects glued on one line.
char* EventGenerator::WriteMalformed(uint64_t seq, uint64_t h1, uint64_t h2, int64_t unix_ms,
                                     char* out) {
  const EventKind& kind = catalog_.PickKind(KindBits(h1));
  const UserEntry& user = catalog_.PickUser(kind.user_class, UserBits(h1));
  char* p = out;
  switch ((h2 >> 56) % 6) {
    case 0: {
      // Truncated: a proper prefix of the event, which never includes the closing brace.
      const auto length = static_cast<size_t>(WriteEvent(seq, h1, h2, unix_ms, out) - out);
      p = out + 1 + (h2 % (length - 2));
      break;
    }
    case 1:
      p = WriteText(p,
                    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">"
                    "<System><Provider Name=\"");
      p = WriteText(p, kind.source);
      p = WriteText(p, "\"/><EventID>");
      p = WriteUint(p, static_cast<uint64_t>(kind.event_id));
      p = WriteText(p, "</EventID><EventRecordID>");
      p = WriteUint(p, seq);
      p = WriteText(p, "</EventRecordID><TimeCreated SystemTime=\"");
      p = formatter_.Write(unix_ms, p);
      p = WriteText(p, "\"/></System></Event>");
      break;
    case 2:
      p = WriteText(p, "{\"seq\":");
      p = WriteUint(p, seq);
      p = WriteText(p, ",\"timestamp\":\"");
      p = formatter_.Write(unix_ms, p);
      p = WriteText(p, "\",\"source\":");
      p = WriteText(p, kind.source);
      p = WriteText(p, ",\"level\":\"");
      p = WriteText(p, kind.level);
      p = WriteText(p, "\",\"event_id\":,\"computer\":\"");
      p = WriteHost(h1, p);
      p = WriteText(p, "\"}");
      break;
    case 3:
      p = WriteText(p, "@@@ lost sync @@@ seq=");
      p = WriteUint(p, seq);
      p = WriteText(p, " 0x");
      p = WriteHex(p, h2, 16);
      p = WriteText(p, "\t}{][ ,,: \"");
      break;
    case 4:
      // A Windows path pasted unescaped: "\U" is not a JSON escape.
      p = WriteText(p, "{\"seq\":");
      p = WriteUint(p, seq);
      p = WriteText(p, ",\"timestamp\":\"");
      p = formatter_.Write(unix_ms, p);
      p = WriteText(p,
                    "\",\"source\":\"Application\",\"level\":\"Error\",\"event_id\":"
                    "1026,\"message\":\"Could not find file C:\\Users\\");
      p = WriteText(p, catalog_.PickUser(UserClass::kDomain, UserBits(h1)).account);
      p = WriteText(p, "\\AppData\\Local\\Temp\\report.xlsx\"}");
      break;
    default:
      p = WriteText(p, "{\"seq\":");
      p = WriteUint(p, seq);
      p = WriteText(p, ",\"user\":\"");
      p = WriteText(p, user.user);
      p = WriteText(p, "\"}{\"seq\":");
      p = WriteUint(p, seq);
      p = WriteText(p, "}");
      break;
  }
  *p++ = '\n';
  return p;
}

}  // namespace ec::producer
