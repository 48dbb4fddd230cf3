// The exactly-once Kafka sink's state and recovery judgement.
#include "connectors/kafka/kafka_transactions.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace ec {

std::string EncodeKafkaSinkState(const KafkaSinkState& state) {
  nlohmann::json pending = nlohmann::json::array();
  for (const PreCommittedTransaction& t : state.pending) {
    pending.push_back({{"checkpoint", t.checkpoint_id},
                       {"transactional-id", t.transactional_id},
                       {"producer-id", t.producer_id},
                       {"producer-epoch", t.producer_epoch},
                       {"start-time-ms", t.start_time_ms},
                       {"records", t.records}});
  }
  nlohmann::json json = {{"kafka-sink", 1},
                         {"transactional-id-prefix", state.prefix},
                         {"subtask", state.subtask},
                         {"pool-size", state.pool_size},
                         {"pending", std::move(pending)}};
  return json.dump();
}

namespace {

// A field of checkpointed state that must be an integer in [min, max]: a float, or an integer
// out of range (which nlohmann's get<> would convert with undefined behaviour), is refused.
struct BadField {
  std::string what;
};
int64_t IntegerField(const nlohmann::json& object, const char* name, int64_t min, int64_t max) {
  const nlohmann::json& value = object.at(name);
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    throw BadField{absl::StrCat(name, ": expected an integer")};
  }
  const int64_t n = value.get<int64_t>();
  if (n < min || n > max) {
    throw BadField{absl::StrCat(name, ": ", n, " is out of range [", min, ", ", max, "]")};
  }
  return n;
}

}  // namespace

absl::StatusOr<KafkaSinkState> DecodeKafkaSinkState(std::string_view bytes) {
  auto json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("kafka-sink")) {
    return absl::InvalidArgumentError("kafka sink state: not a kafka sink's checkpointed state");
  }
  constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  try {
    KafkaSinkState state;
    state.prefix = json.at("transactional-id-prefix").get<std::string>();
    state.subtask = static_cast<int>(IntegerField(json, "subtask", 0, kIntMax));
    state.pool_size = static_cast<int>(IntegerField(json, "pool-size", 0, kIntMax));
    for (const auto& t : json.at("pending")) {
      PreCommittedTransaction txn;
      txn.checkpoint_id = IntegerField(t, "checkpoint", 0, kInt64Max);
      txn.transactional_id = t.at("transactional-id").get<std::string>();
      txn.producer_id = IntegerField(t, "producer-id", -1, kInt64Max);
      txn.producer_epoch = static_cast<int16_t>(
          IntegerField(t, "producer-epoch", -1, std::numeric_limits<int16_t>::max()));
      txn.start_time_ms = IntegerField(t, "start-time-ms", 0, kInt64Max);
      txn.records = t.contains("records") ? IntegerField(t, "records", 0, kInt64Max) : 0;
      state.pending.push_back(std::move(txn));
    }
    return state;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kafka sink state: ", e.what()));
  } catch (const BadField& e) {
    return absl::InvalidArgumentError(absl::StrCat("kafka sink state: ", e.what));
  }
}

std::string PoolTransactionalId(const std::string& prefix, int subtask, int slot) {
  return absl::StrCat(prefix, "-", subtask, "-", slot);
}

namespace {

std::string Describe(const PreCommittedTransaction& txn) {
  return absl::StrCat("transaction of checkpoint ", txn.checkpoint_id, " (transactional id '",
                      txn.transactional_id, "', producer ", txn.producer_id, " epoch ",
                      txn.producer_epoch, ", ", txn.records, " records)");
}

}  // namespace

RecoveryJudgement JudgeRecoveredTransaction(
    const PreCommittedTransaction& txn, const absl::StatusOr<TransactionDescription>& described) {
  const std::string what = Describe(txn);
  if (!described.ok()) {
    return {RecoveryVerdict::kLost, absl::StrCat(what, ": its coordinator no longer knows the id (",
                                                 described.status().message(), ")")};
  }
  const TransactionDescription& d = *described;
  const bool same = d.producer_id == txn.producer_id && d.start_time_ms == txn.start_time_ms;
  if (!same || d.state == "Empty") {
    // The id went on to another transaction, or was initialised again: the sink does either
    // only once this one is committed.
    return {RecoveryVerdict::kAlreadyCommitted,
            absl::StrCat(what, ": committed before (the id is now ", d.state, ")")};
  }
  if (d.state == "Ongoing" && d.producer_epoch == txn.producer_epoch) {
    return {RecoveryVerdict::kCommit, absl::StrCat(what, ": still open"),
            d.start_time_ms + d.timeout_ms};
  }
  if (d.state == "PrepareCommit" || d.state == "CompleteCommit") {
    return {RecoveryVerdict::kAlreadyCommitted, absl::StrCat(what, ": already committed")};
  }
  return {RecoveryVerdict::kLost,
          absl::StrCat(what, ": ", d.state, " at epoch ", d.producer_epoch,
                       ", aborted by the broker (its transaction timeout of ", d.timeout_ms,
                       "ms passed while it waited for its commit)")};
}

RestoreDecision DecideRestore(const std::vector<RecoveryJudgement>& judged,
                              const std::vector<PreCommittedTransaction>& txns, int64_t now_ms,
                              absl::Duration margin) {
  const int64_t margin_ms = absl::ToInt64Milliseconds(margin);
  bool any_committed = false;
  int64_t oldest_bad = INT64_MAX;  // the oldest checkpoint with a lost or expiring transaction
  const RecoveryJudgement* lost = nullptr;
  const RecoveryJudgement* expiring = nullptr;
  for (size_t i = 0; i < judged.size() && i < txns.size(); ++i) {
    const RecoveryJudgement& j = judged[i];
    any_committed = any_committed || j.verdict == RecoveryVerdict::kAlreadyCommitted;
    const bool is_lost = j.verdict == RecoveryVerdict::kLost;
    const bool is_expiring =
        j.verdict == RecoveryVerdict::kCommit && j.expires_ms - now_ms < margin_ms;
    if (is_lost && lost == nullptr) lost = &j;
    if (is_expiring && expiring == nullptr) expiring = &j;
    if (is_lost || is_expiring) oldest_bad = std::min(oldest_bad, txns[i].checkpoint_id);
  }
  // Expiring, with part of the checkpoint committed before the crash: finish the commit now.
  if (lost == nullptr && (expiring == nullptr || any_committed)) return {};
  RestoreDecision decision;
  decision.commit = false;
  decision.lost_checkpoint = oldest_bad;
  decision.reason =
      lost != nullptr
          ? lost->reason
          : absl::StrCat(expiring->reason, ", but its transaction timeout ends in ",
                         expiring->expires_ms - now_ms, "ms, within the ", margin_ms,
                         "ms margin a restore's commits need");
  absl::StrAppend(&decision.reason,
                  any_committed
                      ? "; other transactions of the checkpoint were committed before the crash, "
                        "so the replay from an older checkpoint writes their records again"
                      : "; no transaction of it is committed");
  return decision;
}

absl::Duration RestoreCommitMargin(absl::Duration transaction_timeout) {
  return std::clamp(transaction_timeout / 10, absl::Seconds(1), absl::Seconds(30));
}

std::optional<RecoveryJudgement> JudgeRefusedCommit(const PreCommittedTransaction& txn,
                                                    const absl::Status& refusal) {
  const int16_t code = KafkaErrorCodeOf(refusal);
  if (code != kafka_error::kInvalidProducerIdMapping && code != kafka_error::kUnknownProducerId) {
    return std::nullopt;
  }
  return RecoveryJudgement{
      RecoveryVerdict::kLost,
      absl::StrCat(Describe(txn), ": its coordinator no longer knows the producer (",
                   refusal.message(), "), so no commit can succeed")};
}

}  // namespace ec
