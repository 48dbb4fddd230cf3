// Keyed rolling count on simdjson on-demand and RocksDB keyed state.
#include "operators/transforms/keyed_count.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "operators/transforms/padded_record.h"
#include "runtime/job_graph.h"

namespace ec {
namespace {

std::string EncodeCount(uint64_t n) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(n >> (8 * i));
  return bytes;
}

uint64_t DecodeCount(std::string_view bytes) {
  uint64_t n = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return n;
}

}  // namespace

OperatorTraits KeyedCountTraits() {
  OperatorTraits traits;
  traits.key_fields_field = "key-fields";
  traits.default_key_fields = {"source", "level"};
  return traits;
}

absl::StatusOr<std::vector<std::string>> KeyFields(const OperatorSpec& op,
                                                   const std::string& path) {
  auto fields = KeyFieldsOf(op, KeyedCountTraits(), path);
  if (!fields.ok()) return fields.status();
  for (const auto& f : *fields) {
    if (f == "count") {
      return absl::InvalidArgumentError(absl::StrCat(
          "job file: ", path, ".key-fields: expected field names other than \"count\""));
    }
  }
  return fields;
}

absl::Status ValidateKeyedCount(const JobSpec& job, const OperatorSpec& op,
                                const std::string& path) {
  if (auto fields = KeyFields(op, path); !fields.ok()) return fields.status();
  return ValidateDeadLetter(job, op, path);
}

absl::Status KeyedCount::Open(OperatorContext& ctx) {
  if (auto s = DeadLetterTransform::Open(ctx); !s.ok()) return s;
  if (!ctx.keyed_state)
    return absl::FailedPreconditionError(absl::StrCat(ctx.spec->name, ": no keyed state"));
  auto state = ctx.keyed_state->GetValueState(absl::StrCat(ctx.spec->name, ".count"));
  if (!state.ok()) return state.status();
  counts_ = *state;
  return absl::OkStatus();
}

absl::Status KeyedCount::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  batch_counts_.clear();
  std::string stored;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!key_.ExtractPadded(PaddedRecord(in, i, scratch_))) {
      if (auto s = dead_letters_->Write(in[i], "missing key field or not a JSON object"); !s.ok()) {
        return s;
      }
      continue;
    }
    auto [it, inserted] = batch_counts_.try_emplace(key_.key(), 0);
    if (inserted) {
      auto found = counts_->Get(key_.key(), &stored);
      if (!found.ok()) return found.status();
      if (*found) it->second = DecodeCount(stored);
    }
    const uint64_t count = ++it->second;
    output_.assign("{");
    for (size_t f = 0; f < key_fields_.size(); ++f) {
      output_.push_back('"');
      output_.append(key_fields_[f]);
      output_.append("\":");
      output_.append(key_.values()[f]);
      output_.push_back(',');
    }
    absl::StrAppend(&output_, "\"count\":", count, "}");
    out.Append(output_);
  }
  // Written back before the batch ends: a checkpoint (taken between batches) sees them all.
  for (const auto& [key, count] : batch_counts_) {
    if (auto s = counts_->Put(key, EncodeCount(count)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace ec
