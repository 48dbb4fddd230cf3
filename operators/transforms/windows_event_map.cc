// The Windows event map on simdjson's on-demand API: raw tokens are copied, not re-serialised.
#include "operators/transforms/windows_event_map.h"

#include <charconv>

#include "runtime/time_format.h"

namespace ec {
namespace {

using simdjson::error_code;
using simdjson::ondemand::object;

void AppendInt(int64_t value, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out.append(buf, end);
}

// Appends a raw JSON string token (quotes included), trimming whitespace simdjson leaves after it.
void AppendRawString(std::string_view raw, std::string& out) {
  while (!raw.empty() && raw.back() != '"') raw.remove_suffix(1);
  out.append(raw);
}

// Lower-cases ASCII letters of out[from..] in place. Safe on raw JSON tokens: escapes are
// lower-case letters or hex digits, and never contain spaces.
void LowerCase(std::string& out, size_t from, bool spaces_to_underscores) {
  for (size_t i = from; i < out.size(); ++i) {
    char& c = out[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (spaces_to_underscores && c == ' ') {
      c = '_';
    }
  }
}

// Copies a string field's raw token. The JSON parse step before this one validated the whole
// document, so the token's escapes and UTF-8 are known to be well-formed.
error_code CopyString(object& obj, const char* name, std::string& out, const char** field) {
  *field = name;
  std::string_view raw;
  if (auto e = obj.find_field_unordered(name).raw_json_token().get(raw)) return e;
  if (raw.empty() || raw.front() != '"') return simdjson::INCORRECT_TYPE;
  AppendRawString(raw, out);
  return simdjson::SUCCESS;
}

}  // namespace

error_code WindowsEventMap::MapOne(simdjson::padded_string_view record, std::string& out,
                                   const char** field) {
  *field = "(document)";
  simdjson::ondemand::document doc;
  if (auto e = parser_.iterate(record).get(doc)) return e;
  object obj;
  if (auto e = doc.get_object().get(obj)) return e;

  int64_t seq = 0;
  *field = "seq";
  if (auto e = obj.find_field_unordered("seq").get_int64().get(seq)) return e;
  out.append("{\"seq\":");
  AppendInt(seq, out);
  out.append(",\"timestamp\":");
  if (auto e = CopyString(obj, "timestamp", out, field)) return e;
  out.append(",\"source\":");
  if (auto e = CopyString(obj, "source", out, field)) return e;

  out.append(",\"level\":");
  const size_t level_start = out.size();
  if (auto e = CopyString(obj, "level", out, field)) return e;
  // severity: the level's raw token again, ASCII lower-cased, spaces as '_'. Working on the
  // escaped form is exact: escapes are lower-case letters or hex digits, and never spaces.
  const size_t level_size = out.size() - level_start;
  out.reserve(out.size() + level_size + 16);  // no reallocation while appending from itself
  out.append(",\"severity\":");
  const size_t severity_start = out.size();
  out.append(out, level_start, level_size);
  LowerCase(out, severity_start, /*spaces_to_underscores=*/true);

  int64_t event_id = 0;
  *field = "event_id";
  if (auto e = obj.find_field_unordered("event_id").get_int64().get(event_id)) return e;
  out.append(",\"event_id\":");
  AppendInt(event_id, out);

  out.append(",\"computer\":");
  size_t computer_start = out.size();
  if (auto e = CopyString(obj, "computer", out, field)) return e;
  LowerCase(out, computer_start, /*spaces_to_underscores=*/false);
  out.append(",\"user\":");
  if (auto e = CopyString(obj, "user", out, field)) return e;
  out.append(",\"message\":");
  if (auto e = CopyString(obj, "message", out, field)) return e;
  out.append(",\"processed_at\":");
  out.append(processed_at_);
  out.push_back('}');
  return simdjson::SUCCESS;
}

absl::Status WindowsEventMap::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  processed_at_.assign("\"");
  AppendIsoMillis(NowUnixMillis(), processed_at_);
  processed_at_.push_back('"');
  for (size_t i = 0; i < in.size(); ++i) {
    const char* field = "";
    error_code e = MapOne(PaddedRecord(in, i, scratch_), out.buffer(), &field);
    if (!e) {
      out.Commit();
      continue;
    }
    out.Rollback();
    std::string reason = std::string("field '") + field + "': " + simdjson::error_message(e);
    if (auto s = dead_letters_->Write(in[i], reason); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace ec
