// Keyed event- and processing-time windows on simdjson on-demand and RocksDB keyed state.
#include "operators/transforms/window_aggregate.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "operators/transforms/event_timestamp.h"
#include "operators/transforms/padded_record.h"
#include "runtime/time_format.h"

namespace ec {
namespace {

constexpr size_t kStartBytes = 8;

// Window starts as map user keys: big-endian with the sign bit flipped, so that RocksDB's
// byte order is time order, negative starts included.
void AppendStart(int64_t start, std::string& out) {
  const uint64_t u = static_cast<uint64_t>(start) ^ (uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(u >> (8 * i)));
}

bool DecodeStart(std::string_view bytes, int64_t* start) {
  if (bytes.size() != kStartBytes) return false;
  uint64_t u = 0;
  for (char c : bytes) u = (u << 8) | static_cast<unsigned char>(c);
  *start = static_cast<int64_t>(u ^ (uint64_t{1} << 63));
  return true;
}

// Flink's TimeWindow.getWindowStartWithOffset with offset 0: floor, negatives included.
int64_t WindowStart(int64_t ts, int64_t slide) {
  const int64_t remainder = ts % slide;
  return remainder < 0 ? ts - (remainder + slide) : ts - remainder;
}

void AppendNumber(double value, std::string& out) {
  char buf[32];
  std::to_chars_result r;
  if (!std::isfinite(value)) {
    out.append("null");  // a sum past the double range; JSON has no infinity
    return;
  }
  if (value == std::trunc(value) && std::fabs(value) < 9.0e18) {
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(value));
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), value);
  }
  out.append(buf, r.ptr);
}

const char* AggregateName(WindowAggregate::Aggregate aggregate) {
  switch (aggregate) {
    case WindowAggregate::Aggregate::kCount:
      return "count";
    case WindowAggregate::Aggregate::kSum:
      return "sum";
    case WindowAggregate::Aggregate::kMin:
      return "min";
    case WindowAggregate::Aggregate::kMax:
      return "max";
  }
  return "count";
}

// A field name as a JSON string (names come from the job file and may need escapes).
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

WindowAggregate::WindowAggregate(Options options)
    : options_(std::move(options)), key_(options_.key_by) {
  for (const auto& field : options_.key_by) {
    field_prefixes_.push_back(absl::StrCat(",", JsonString(field), ":"));
  }
  aggregate_prefix_ = absl::StrCat(",\"", AggregateName(options_.aggregate), "\":");
}

absl::Status WindowAggregate::Open(OperatorContext& ctx) {
  if (auto s = DeadLetterTransform::Open(ctx); !s.ok()) return s;
  auto late = DeadLetterOutput::CreateForTopic(ctx, options_.late_topic);
  if (!late.ok()) return late.status();
  late_ = *std::move(late);
  if (!ctx.keyed_state) {
    return absl::FailedPreconditionError(absl::StrCat(ctx.spec->name, ": no keyed state"));
  }
  auto state = ctx.keyed_state->GetMapState(absl::StrCat(ctx.spec->name, ".windows"));
  if (!state.ok()) return state.status();
  windows_ = *state;
  // Restored windows need their timers back; the state is the only record of them.
  timers_.clear();
  bool corrupt = false;
  auto s = windows_->ForEachEntry(
      [&](std::string_view key, std::string_view user_key, std::string_view value) {
        int64_t start = 0;
        if (!DecodeStart(user_key, &start) || value.size() != 8) {
          corrupt = true;
          return;
        }
        timers_.insert(Timer{start + options_.size_ms, std::string(key), start});
      });
  if (!s.ok()) return s;
  if (corrupt) {
    return absl::DataLossError(
        absl::StrCat(ctx.spec->name, ": restored window state has entries it cannot read"));
  }
  return absl::OkStatus();
}

absl::Status WindowAggregate::Tick() {
  if (auto s = dead_letters_->Poll(); !s.ok()) return s;
  return late_->Poll();
}

absl::Status WindowAggregate::Flush(absl::Time deadline) {
  if (auto s = dead_letters_->Flush(deadline); !s.ok()) return s;
  return late_->Flush(deadline);
}

int64_t WindowAggregate::NowMs() const {
  return absl::ToUnixMillis(options_.clock ? options_.clock() : absl::Now());
}

bool WindowAggregate::Read(simdjson::padded_string_view record, int64_t now_ms, int64_t* ts,
                           double* value, const char** why) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser_.iterate(record).get(doc) || doc.get_object().get(object)) {
    *why = "not a JSON object";
    return false;
  }
  if (!key_.ExtractFrom(object)) {
    *why = "missing key field";
    return false;
  }
  if (!options_.event_time) {
    *ts = now_ms;
  } else if (!ReadEventTime(object, options_.timestamp_field, ts)) {
    *why = "missing or unreadable timestamp field";
    return false;
  }
  if (options_.aggregate != Aggregate::kCount &&
      object.find_field_unordered(options_.field).get_double().get(*value)) {
    *why = "missing or non-numeric aggregated field";
    return false;
  }
  return true;
}

absl::Status WindowAggregate::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  (void)out;  // results leave through AdvanceTime
  batch_.clear();
  const int64_t now_ms = options_.event_time ? 0 : NowMs();
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t ts = 0;
    double value = 0;
    const char* why = "";
    if (!Read(PaddedRecord(in, i, scratch_), now_ms, &ts, &value, &why)) {
      if (auto s = dead_letters_->Write(in[i], why); !s.ok()) return s;
      continue;
    }
    bool assigned = false;
    for (int64_t start = WindowStart(ts, options_.slide_ms); start > ts - options_.size_ms;
         start -= options_.slide_ms) {
      // Windows the watermark has passed are closed (never so in processing time, where the
      // time is now and no window containing it has fired).
      if (options_.event_time && start + options_.size_ms - 1 <= watermark_) continue;
      Add(start, value);
      assigned = true;
    }
    if (!assigned) {
      ++late_records_;
      if (auto s = late_->Write(in[i], "late event: its windows had already fired"); !s.ok()) {
        return s;
      }
    }
  }
  // Written back before the batch ends: a checkpoint (taken between batches) sees them all.
  return WriteBack();
}

void WindowAggregate::Add(int64_t start, double value) {
  composite_.assign(key_.key());
  AppendStart(start, composite_);
  auto [it, inserted] = batch_.try_emplace(composite_, Accumulator{value, 1});
  if (!inserted) Merge(it->second, Accumulator{value, 1});
}

void WindowAggregate::Merge(Accumulator& into, const Accumulator& from) const {
  into.count += from.count;
  switch (options_.aggregate) {
    case Aggregate::kCount:
      break;
    case Aggregate::kSum:
      into.value += from.value;
      break;
    case Aggregate::kMin:
      into.value = std::min(into.value, from.value);
      break;
    case Aggregate::kMax:
      into.value = std::max(into.value, from.value);
      break;
  }
}

// Stored aggregates are 8 bytes, little-endian: the count (uint64) for count, the value's
// IEEE-754 bits for sum, min and max.
std::string_view WindowAggregate::Encode(const Accumulator& acc) {
  uint64_t bits = acc.count;
  if (options_.aggregate != Aggregate::kCount) std::memcpy(&bits, &acc.value, 8);
  for (int i = 0; i < 8; ++i) encoded_[i] = static_cast<char>(bits >> (8 * i));
  return std::string_view(encoded_, 8);
}

WindowAggregate::Accumulator WindowAggregate::Decode(std::string_view bytes) const {
  uint64_t bits = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    bits |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  Accumulator acc;
  if (options_.aggregate == Aggregate::kCount) {
    acc.count = bits;
  } else {
    std::memcpy(&acc.value, &bits, 8);
    acc.count = 1;
  }
  return acc;
}

absl::Status WindowAggregate::WriteBack() {
  for (auto& [composite, acc] : batch_) {
    const std::string_view all(composite);
    const std::string_view key = all.substr(0, all.size() - kStartBytes);
    const std::string_view user_key = all.substr(all.size() - kStartBytes);
    auto found = windows_->Get(key, user_key, &stored_);
    if (!found.ok()) return found.status();
    Accumulator merged = acc;
    if (*found) {
      merged = Decode(stored_);
      Merge(merged, acc);
    } else {
      int64_t start = 0;
      DecodeStart(user_key, &start);
      timers_.insert(Timer{start + options_.size_ms, std::string(key), start});
    }
    if (auto s = windows_->Put(key, user_key, Encode(merged)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WindowAggregate::AdvanceTime(const WatermarkStatus& in, RecordBatch& emitted,
                                          WatermarkStatus* out) {
  *out = in;
  if (!options_.event_time) return FireUntil(NowMs() - 1, emitted);  // end <= now
  if (in.watermark == kNoWatermark) return absl::OkStatus();
  watermark_ = std::max(watermark_, in.watermark);
  return FireUntil(watermark_, emitted);
}

absl::Status WindowAggregate::FireUntil(int64_t max_timestamp, RecordBatch& emitted) {
  std::string user_key;
  while (!timers_.empty() && timers_.begin()->end - 1 <= max_timestamp) {
    const Timer& timer = *timers_.begin();
    user_key.clear();
    AppendStart(timer.start, user_key);
    auto found = windows_->Get(timer.key, user_key, &stored_);
    if (!found.ok()) return found.status();
    if (*found) {
      AppendResult(timer, Decode(stored_), emitted);
      if (auto s = windows_->Remove(timer.key, user_key); !s.ok()) return s;
    }
    timers_.erase(timers_.begin());
  }
  return absl::OkStatus();
}

void WindowAggregate::AppendResult(const Timer& timer, const Accumulator& acc,
                                   RecordBatch& emitted) const {
  std::string& out = emitted.buffer();
  out.append("{\"window_start\":\"");
  AppendIsoMillis(timer.start, out);
  out.append("\",\"window_end\":\"");
  AppendIsoMillis(timer.end, out);
  out.push_back('"');
  // The key is the fields' raw JSON values joined by \x1f, which raw JSON never contains.
  std::string_view rest = timer.key;
  for (size_t f = 0; f < field_prefixes_.size(); ++f) {
    const size_t cut = f + 1 < field_prefixes_.size() ? rest.find('\x1f') : std::string_view::npos;
    out.append(field_prefixes_[f]);
    out.append(rest.substr(0, cut));
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  }
  out.append(aggregate_prefix_);
  if (options_.aggregate == Aggregate::kCount) {
    absl::StrAppend(&out, acc.count);
  } else {
    AppendNumber(acc.value, out);
  }
  out.push_back('}');
  emitted.Commit();
}

}  // namespace ec
