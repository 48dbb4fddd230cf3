// Kafka sink over KafkaWriter; exactly-once as a two-phase commit over a pool of transactions.
#include "connectors/kafka/kafka_sink.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "operators/config_fields.h"
#include "runtime/logging.h"
#include "runtime/status.h"
#include "runtime/util/fault_point.h"

namespace ec {
namespace {

// One slot writing, one whose transaction awaits its checkpoint's completion (the JobManager
// runs one checkpoint at a time), one spare for a checkpoint declined or aborted before then.
constexpr int kPoolSize = 3;
// How long a finishing sink waits for its last checkpoint to complete before it commits anyway.
constexpr absl::Duration kFinishWait = absl::Seconds(10);

struct SinkSettings {
  std::string topic;
  std::string guarantee;
  absl::Duration delivery_timeout;
  absl::Duration transaction_timeout;
  std::string transactional_id_prefix;  // empty: ec-<job>-<operator>
};

absl::StatusOr<SinkSettings> ReadSettings(const JobSpec& job, const OperatorSpec& op,
                                          const std::string& path) {
  ConfigFields fields(job, op, path);
  SinkSettings settings;
  auto topic = KafkaTopicOf(fields);
  if (!topic.ok()) return topic.status();
  settings.topic = *topic;
  auto guarantee =
      fields.ChoiceOr("delivery-guarantee", "at-least-once", "at-least-once|exactly-once|none");
  if (!guarantee.ok()) return guarantee.status();
  if (*guarantee == "exactly-once" && !job.checkpoint_interval) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path,
                     ".delivery-guarantee: exactly-once commits a Kafka transaction per "
                     "checkpoint; set checkpoint-interval (e.g. --checkpoint-interval 1s)"));
  }
  settings.guarantee = *guarantee;
  auto timeout = fields.DurationOr("delivery-timeout", absl::Seconds(120));
  if (!timeout.ok()) return timeout.status();
  if (*timeout < absl::Seconds(1)) {
    return absl::InvalidArgumentError("job file: " + path +
                                      ".delivery-timeout: expected at least 1s");
  }
  settings.delivery_timeout = *timeout;
  // An open transaction must outlive a checkpoint interval and its commit with margin, within
  // the broker's transaction.max.timeout.ms (15 minutes by default). Flink's KafkaSink needs
  // it set by hand; this default fits the interval.
  const absl::Duration interval = job.checkpoint_interval.value_or(absl::Seconds(1));
  auto txn_timeout = fields.DurationOr(
      "transaction-timeout",
      std::clamp(std::max(interval * 10, *timeout), absl::Seconds(60), absl::Minutes(15)));
  if (!txn_timeout.ok()) return txn_timeout.status();
  if (*guarantee == "exactly-once" && *txn_timeout < interval * 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path,
                     ".transaction-timeout: expected at least twice the checkpoint-interval (",
                     absl::FormatDuration(interval * 2),
                     "): a transaction stays open from one checkpoint "
                     "until the next completes"));
  }
  settings.transaction_timeout = *txn_timeout;
  settings.transactional_id_prefix = fields.StringOr("transactional-id-prefix", "");
  return settings;
}

}  // namespace

absl::Status ValidateKafkaSink(const JobSpec& job, const OperatorSpec& op,
                               const std::string& path) {
  auto settings = ReadSettings(job, op, path);
  if (!settings.ok()) return settings.status();
  return ResolveKafkaConfig(job, op).status();
}

KafkaSink::~KafkaSink() = default;

absl::Status KafkaSink::Open(OperatorContext& ctx) {
  ctx_ = &ctx;
  auto settings = ReadSettings(*ctx.job, *ctx.spec, ctx.spec->name);
  if (!settings.ok()) return settings.status();
  auto client = ResolveKafkaConfig(*ctx.job, *ctx.spec);
  if (!client.ok()) return client.status();
  KafkaWriter::Options options;
  options.client = *std::move(client);
  options.topic = settings->topic;
  options.guarantee = settings->guarantee;
  options.delivery_timeout = settings->delivery_timeout;
  options.log_prefix = ctx.task_name;
  options.delivered = ctx.counters;
  if (ctx.counters) {
    // FLIP-33's sink metric, and what librdkafka holds not yet acknowledged.
    options.send_errors = &ctx.counters->AddGauge(
        "numRecordsSendErrors", "Records the broker refused or did not acknowledge in time.");
    in_flight_ = &ctx.counters->AddGauge(
        "recordsInFlight", "Records written to the producer and not yet acknowledged.");
  }
  if (settings->guarantee == "exactly-once") {
    prefix_ = settings->transactional_id_prefix.empty()
                  ? absl::StrCat("ec-", ctx.job_id, "-", ctx.spec->name)
                  : settings->transactional_id_prefix;
    options.transaction_timeout = settings->transaction_timeout;
    // librdkafka wants the delivery timeout within the transaction timeout.
    options.delivery_timeout = std::min(options.delivery_timeout, options.transaction_timeout);
    commit_timeout_ = std::min(options.delivery_timeout, absl::Seconds(60));
    return OpenExactlyOnce(std::move(options));
  }
  auto writer = KafkaWriter::Create(std::move(options));
  if (!writer.ok()) return writer.status();
  writer_ = *std::move(writer);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<KafkaWriter>> KafkaSink::NewTransactionalWriter(
    const KafkaWriter::Options& base, const std::string& transactional_id) const {
  KafkaWriter::Options options = base;
  options.transactional_id = transactional_id;
  // Initialising the id fences every earlier producer of it and aborts what it left open.
  return KafkaWriter::Create(std::move(options));
}

absl::Status KafkaSink::OpenExactlyOnce(KafkaWriter::Options options) {
  auto protocol = KafkaProtocolClient::Connect(options.client, absl::Now() + commit_timeout_);
  if (!protocol.ok()) return protocol.status();
  protocol_ = *std::move(protocol);
  if (auto s = RecoverRestored(options); !s.ok()) return s;
  const bool restored = !restored_.empty();
  restored_.clear();
  for (int slot = 0; slot < kPoolSize; ++slot) {
    auto writer =
        NewTransactionalWriter(options, PoolTransactionalId(prefix_, ctx_->subtask, slot));
    if (!writer.ok()) return writer.status();
    pool_.push_back(*std::move(writer));
    if (restored) ReachFaultPoint("during-lingering-abort");  // this slot's leftovers fenced
  }
  current_ = 0;
  return absl::OkStatus();
}

absl::Status KafkaSink::RestoreState(std::string_view state) {
  if (state.empty()) return absl::OkStatus();  // at-least-once keeps none
  auto decoded = DecodeKafkaSinkState(state);
  if (!decoded.ok()) return decoded.status();
  restored_.push_back(*std::move(decoded));
  return absl::OkStatus();
}

absl::Status KafkaSink::RecoverRestored(const KafkaWriter::Options& options) {
  const absl::Time deadline = absl::Now() + commit_timeout_;
  // Every old subtask's pre-committed transactions (union state), judged before any is
  // committed, so that all subtasks decide alike: commit all, or none and fall back.
  std::vector<PreCommittedTransaction> txns;
  for (const KafkaSinkState& state : restored_) {
    txns.insert(txns.end(), state.pending.begin(), state.pending.end());
  }
  std::vector<RecoveryJudgement> judged;
  for (const PreCommittedTransaction& txn : txns) {
    auto judgement = JudgeRestored(txn, deadline);
    if (!judgement.ok()) return judgement.status();
    judged.push_back(*std::move(judgement));
  }
  const RestoreDecision decision =
      DecideRestore(judged, txns, absl::ToUnixMillis(absl::Now()),
                    RestoreCommitMargin(options.transaction_timeout));
  if (!decision.commit) {
    Logger("kafka")->error("{} restored {}", ctx_->task_name, decision.reason);
    return LostCheckpointError(decision.lost_checkpoint,
                               absl::StrCat("kafka sink '", ctx_->spec->name, "': ",
                                            decision.reason));
  }
  // First commit: fencing before would abort a transaction its checkpoint still needs.
  for (size_t i = 0; i < txns.size(); ++i) {
    if (judged[i].verdict != RecoveryVerdict::kCommit) {
      Logger("kafka")->info("{} restored {}", ctx_->task_name, judged[i].reason);
      continue;
    }
    if (auto s = CommitRecovered(txns[i], deadline); !s.ok()) return s;
  }
  for (const KafkaSinkState& state : restored_) {
    // The pools this subtask takes over; its own is initialised anyway when its producers are
    // made.
    if (state.subtask % std::max(ctx_->parallelism, 1) != ctx_->subtask) continue;
    const bool own = state.prefix == prefix_ && state.subtask == ctx_->subtask;
    for (int slot = own ? kPoolSize : 0; slot < state.pool_size; ++slot) {
      const std::string id = PoolTransactionalId(state.prefix, state.subtask, slot);
      auto fenced = NewTransactionalWriter(options, id);
      if (!fenced.ok()) return fenced.status();
      fenced->reset();
      Logger("kafka")->info("{} fenced transactional id '{}' (a pool taken over on restore)",
                            ctx_->task_name, id);
      ReachFaultPoint("during-lingering-abort");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RecoveryJudgement> KafkaSink::JudgeRestored(const PreCommittedTransaction& txn,
                                                           absl::Time deadline) {
  auto described = protocol_->DescribeTransaction(txn.transactional_id, deadline);
  if (!described.ok() &&
      KafkaErrorCodeOf(described.status()) != kafka_error::kTransactionalIdNotFound) {
    return absl::Status(described.status().code(),
                        absl::StrCat("kafka sink '", ctx_->spec->name,
                                     "': describe restored transaction: ",
                                     described.status().message()));
  }
  RecoveryJudgement judged = JudgeRecoveredTransaction(txn, described);
  ReachFaultPoint("during-recovery-commit");
  return judged;
}

absl::Status KafkaSink::CommitRecovered(const PreCommittedTransaction& txn, absl::Time deadline) {
  const std::string where = absl::StrCat("kafka sink '", ctx_->spec->name, "'");
  for (int attempt = 0;; ++attempt) {
    // Judged again: another subtask, restoring at the same time, may have committed it.
    auto judged = JudgeRestored(txn, deadline);
    if (!judged.ok()) return judged.status();
    switch (judged->verdict) {
      case RecoveryVerdict::kAlreadyCommitted:
        Logger("kafka")->info("{} restored {}", ctx_->task_name, judged->reason);
        return absl::OkStatus();
      case RecoveryVerdict::kLost:
        Logger("kafka")->error("{} restored {}", ctx_->task_name, judged->reason);
        return LostCheckpointError(txn.checkpoint_id, absl::StrCat(where, ": ", judged->reason));
      case RecoveryVerdict::kCommit:
        break;
    }
    absl::Status ended = protocol_->EndTransaction(txn.transactional_id, txn.producer_id,
                                                   txn.producer_epoch, /*commit=*/true, deadline);
    if (ended.ok()) {
      Logger("kafka")->info("{} restored {}: committed", ctx_->task_name, judged->reason);
      return absl::OkStatus();
    }
    // The broker refused (e.g. it aborted the transaction just now): judge again from what it
    // says of the transaction now. A second refusal is an error for a restart to judge again,
    // unless the coordinator no longer knows the producer: then no restart could commit it.
    if (ended.code() == absl::StatusCode::kFailedPrecondition && attempt > 0) {
      if (auto lost = JudgeRefusedCommit(txn, ended)) {
        Logger("kafka")->error("{} restored {}", ctx_->task_name, lost->reason);
        return LostCheckpointError(txn.checkpoint_id, absl::StrCat(where, ": ", lost->reason));
      }
    }
    if (ended.code() != absl::StatusCode::kFailedPrecondition || attempt > 0) {
      return absl::Status(ended.code(), absl::StrCat(where,
                                                     ": commit restored transaction of "
                                                     "checkpoint ",
                                                     txn.checkpoint_id, ": ", ended.message()));
    }
  }
}

absl::Status KafkaSink::ProcessBatch(const RecordBatch& in, RecordBatch&) {
  KafkaWriter& writer = exactly_once() ? *pool_[current_] : *writer_;
  if (auto s = writer.WriteBatch(in); !s.ok()) return s;
  return writer.Poll();
}

absl::Status KafkaSink::Tick() {
  if (!exactly_once()) {
    if (in_flight_) in_flight_->Set(writer_->in_flight());
    return writer_->Poll();
  }
  int64_t in_flight = 0;
  for (auto& writer : pool_) {
    if (auto s = writer->Poll(); !s.ok()) return s;
    in_flight += writer->in_flight();
  }
  if (in_flight_) in_flight_->Set(in_flight);
  return absl::OkStatus();
}

absl::Status KafkaSink::Flush(absl::Time deadline) {
  if (!exactly_once()) return writer_->Flush(deadline);
  KafkaWriter& writer = *pool_[current_];
  // Cancelled: what was written since the last checkpoint is replayed by whoever restores it;
  // the pre-committed transactions stay open for that restore to commit.
  if (ctx_->IsCancelled()) return writer.AbortTransaction(deadline);
  if (auto s = writer.Flush(deadline); !s.ok()) return s;
  if (!ctx_->finishing) return absl::OkStatus();  // a checkpoint's pre-commit follows
  // The end: the last checkpoint's completion commits what it covers (its notification may
  // come while this waits); then what came after it goes out, since no checkpoint will.
  const absl::Time wait_until = std::min(deadline, absl::Now() + kFinishWait);
  while (!pending_.empty() && ctx_->CompletedCheckpoint() < pending_.back().txn.checkpoint_id &&
         absl::Now() < wait_until) {
    if (auto s = Tick(); !s.ok()) return s;
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (!pending_.empty() && ctx_->CompletedCheckpoint() < pending_.back().txn.checkpoint_id) {
    Logger("kafka")->warn("{} finishing: checkpoint {} not complete after {}s; committing anyway",
                          ctx_->task_name, pending_.back().txn.checkpoint_id,
                          absl::ToInt64Seconds(kFinishWait));
  }
  if (auto s = CommitUpTo(INT64_MAX, deadline); !s.ok()) return s;
  if (writer.transaction_records() == 0) return absl::OkStatus();
  return writer.CommitTransaction(deadline);
}

absl::Status KafkaSink::SnapshotState(int64_t checkpoint_id, std::string* state) {
  if (!exactly_once()) return absl::OkStatus();  // Flush() acknowledged everything
  KafkaWriter& writer = *pool_[current_];
  if (writer.transaction_records() > 0) {
    int next = -1;
    for (int slot = 0; slot < kPoolSize && next < 0; ++slot) {
      const bool busy =
          slot == current_ || std::any_of(pending_.begin(), pending_.end(),
                                          [&](const Pending& p) { return p.slot == slot; });
      if (!busy) next = slot;
    }
    if (next < 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "kafka sink '", ctx_->spec->name, "': all ", kPoolSize,
          " transactional ids hold transactions waiting for their checkpoint to complete"));
    }
    auto described =
        protocol_->DescribeTransaction(writer.transactional_id(), absl::Now() + commit_timeout_);
    if (!described.ok()) return described.status();
    if (described->state != "Ongoing") {
      return absl::InternalError(absl::StrCat(
          "kafka sink '", ctx_->spec->name, "': transaction of '", writer.transactional_id(),
          "' is ", described->state, " at its pre-commit, expected Ongoing"));
    }
    PreCommittedTransaction txn;
    txn.checkpoint_id = checkpoint_id;
    txn.transactional_id = writer.transactional_id();
    txn.producer_id = described->producer_id;
    txn.producer_epoch = described->producer_epoch;
    txn.start_time_ms = described->start_time_ms;
    txn.records = writer.transaction_records();
    pending_.push_back({std::move(txn), current_});
    current_ = next;
  }
  KafkaSinkState snapshot;
  snapshot.prefix = prefix_;
  snapshot.subtask = ctx_->subtask;
  snapshot.pool_size = kPoolSize;
  for (const Pending& p : pending_) snapshot.pending.push_back(p.txn);
  *state = EncodeKafkaSinkState(snapshot);
  return absl::OkStatus();
}

absl::Status KafkaSink::NotifyCheckpointComplete(int64_t checkpoint_id) {
  if (!exactly_once()) return absl::OkStatus();
  return CommitUpTo(checkpoint_id, absl::Now() + commit_timeout_);
}

absl::Status KafkaSink::CommitUpTo(int64_t checkpoint_id, absl::Time deadline) {
  while (!pending_.empty() && pending_.front().txn.checkpoint_id <= checkpoint_id) {
    ReachFaultPoint("after-complete-before-commit");
    const Pending& first = pending_.front();
    // Commits and begins the slot's next transaction, empty until the slot is written again.
    if (auto s = pool_[first.slot]->CommitTransaction(deadline); !s.ok()) return s;
    pending_.erase(pending_.begin());
    ReachFaultPoint("between-subtask-commits");
  }
  return absl::OkStatus();
}

}  // namespace ec
