// Keyed rolling count: Flink's keyBy(fields) with a running count, on RocksDB keyed state.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "operators/transforms/dead_letter.h"
#include "runtime/job_graph.h"
#include "runtime/record_key.h"

namespace ec {

// For every record, emits its key's updated count: {"<field>": <value>, ..., "count": N}, the
// key fields in the order of `key-fields` (default ["source", "level"]) with their values as
// they appear in the input. A record missing a key field, or one that is not a JSON object,
// goes to the dead-letter output. Counts live in the task's keyed state (RocksDB), so they
// survive failures: restored from the checkpoint, they continue exactly where the checkpointed
// source position left them.
class KeyedCount : public DeadLetterTransform {
 public:
  explicit KeyedCount(std::vector<std::string> key_fields)
      : key_fields_(key_fields), key_(std::move(key_fields)) {}

  absl::Status Open(OperatorContext& ctx) override;
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;
  bool UsesKeyedState() const override { return true; }

 private:
  std::vector<std::string> key_fields_;
  std::optional<ValueState> counts_;
  RecordKey key_;
  std::string scratch_;
  std::string output_;
  // Counts touched by the current batch: read from state once, written back once per batch.
  absl::flat_hash_map<std::string, uint64_t> batch_counts_;
};

absl::Status ValidateKeyedCount(const JobSpec& job, const OperatorSpec& op,
                                const std::string& path);
absl::StatusOr<std::vector<std::string>> KeyFields(const OperatorSpec& op, const std::string& path);
// keyed-count's traits (its registry entry's): keyed by "key-fields", default ["source", "level"].
OperatorTraits KeyedCountTraits();

}  // namespace ec
