// Kafka source over librdkafka's consumer with manual assignment.
#include "connectors/kafka/kafka_source.h"

#include <algorithm>
#include <climits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/kafka/kafka_error_policy.h"
#include "connectors/kafka/kafka_operator_types.h"
#include "operators/config_fields.h"
#include "runtime/job_graph.h"
#include "runtime/logging.h"

namespace ec {
namespace {

// Snapshots kept for a later NotifyCheckpointComplete; older ones are never committed.
constexpr size_t kMaxPendingSnapshots = 16;
constexpr absl::Duration kWarnEvery = absl::Seconds(30);
constexpr absl::Duration kRetryPause = absl::Milliseconds(200);
// How long metadata must say "unknown topic" before the source believes it.
constexpr absl::Duration kUnknownTopicGrace = absl::Seconds(3);

const char* StartFromName(KafkaSource::StartFrom start) {
  switch (start) {
    case KafkaSource::StartFrom::kEarliest:
      return "earliest";
    case KafkaSource::StartFrom::kLatest:
      return "latest";
    case KafkaSource::StartFrom::kGroupOffsets:
      return "group-offsets";
  }
  return "?";
}

// Sleeps a little before retrying a call that failed at once, never past `deadline`.
void PauseBeforeRetry(absl::Time deadline) {
  absl::SleepFor(std::max(absl::ZeroDuration(), std::min(kRetryPause, deadline - absl::Now())));
}

}  // namespace

KafkaSource::KafkaSource(Options options) : options_(std::move(options)) {}

KafkaSource::~KafkaSource() { (void)Close(); }

std::string KafkaSource::Where() const {
  return absl::StrCat("kafka-source '", name_, "': topic '", options_.topic, "' on ",
                      options_.client.Describe());
}

absl::Status KafkaSource::Describe(rd_kafka_resp_err_t err, const std::string& detail) const {
  switch (err) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return absl::UnauthenticatedError(absl::StrCat(
          Where(),
          ": authentication failed (check kafka-sasl-username and the password): ", detail));
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return absl::PermissionDeniedError(absl::StrCat(
          Where(),
          ": not authorized to read (the user needs Read and Describe ACLs on the topic): ",
          detail));
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      return absl::PermissionDeniedError(
          absl::StrCat(Where(), ": not authorized for consumer group '", options_.group_id,
                       "' (the user needs Read and Describe ACLs on it; see group-id): ", detail));
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return absl::FailedPreconditionError(absl::StrCat(Where(), ": topic does not exist"));
    default:
      return absl::UnavailableError(absl::StrCat(Where(), ": ", detail));
  }
}

void KafkaSource::Warn(rd_kafka_resp_err_t err, const std::string& what) {
  // Once per distinct error and kWarnEvery: librdkafka retries every few hundred ms.
  const absl::Time now = absl::Now();
  auto [it, fresh] = warned_.try_emplace(static_cast<int>(err), now);
  if (!fresh && now - it->second < kWarnEvery) return;
  it->second = now;
  Logger("kafka-source")
      ->warn("{} {}: {}; retrying", ctx_ ? ctx_->task_name : std::string(), Where(), what);
}

void KafkaSource::Fail(absl::Status status) {
  if (failure_.ok()) failure_ = std::move(status);
}

void KafkaSource::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  const KafkaCallbackError error = ReadCallbackError(rk, err, reason);
  if (error.fatal) {
    self->Fail(self->Describe(error.code, error.reason));
  } else {
    // Brokers down, connection refused: librdkafka reconnects by itself.
    self->Warn(error.code, reason);
  }
}

void KafkaSource::OnCommit(rd_kafka_t*, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  if (!err && offsets) {
    for (int i = 0; i < offsets->cnt && !err; ++i) err = offsets->elems[i].err;
  }
  if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  if (IsFatalKafkaError(err)) {
    self->Fail(self->Describe(err, rd_kafka_err2str(err)));
    return;
  }
  // Only what tools show lags: recovery uses the checkpoint, and the next one commits again.
  self->Warn(err, absl::StrCat("committing checkpoint offsets to group '", self->options_.group_id,
                               "': ", rd_kafka_err2str(err)));
}

int KafkaSource::StepMillis(absl::Time deadline, absl::Duration cap) {
  const absl::Duration left = std::min(deadline - absl::Now(), cap);
  return static_cast<int>(std::max<int64_t>(absl::ToInt64Milliseconds(left), 1));
}

void KafkaSource::ServeCallbacks() {
  // Before assign() the consumer queue holds only errors and callbacks, never records; after it,
  // only PollBatch may take from the queue.
  if (assigned_ || !queue_) return;
  const ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, messages_.data(), messages_.size());
  for (ssize_t i = 0; i < n; ++i) {
    if (messages_[i]->err && IsFatalKafkaError(messages_[i]->err)) {
      Fail(Describe(messages_[i]->err, rd_kafka_message_errstr(messages_[i])));
    } else if (messages_[i]->err) {
      Warn(messages_[i]->err, rd_kafka_message_errstr(messages_[i]));
    }
    rd_kafka_message_destroy(messages_[i]);
  }
}

absl::Status KafkaSource::CreateConsumer() {
  auto conf = options_.client.ToRdKafkaConf();
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_t* c = conf->get();
  // Defaults a kafka.<property> may override.
  for (const auto& [name, value] : std::initializer_list<std::pair<std::string, std::string>>{
           {"auto.offset.reset", "earliest"},  // a checkpointed offset the log no longer has
           {"allow.auto.create.topics", "false"},
           {"enable.partition.eof", "false"},
           {"log.connection.close", "false"},
           // A consumer is destroyed only once its commits are answered: these bound how long
           // Close waits while the broker is gone, for a commit sent (request timeout) or one
           // waiting for a coordinator (librdkafka gives up after the session timeout; this
           // consumer never joins a group, so that is its only use).
           {"socket.timeout.ms", "10000"},
           {"session.timeout.ms", "10000"},
       }) {
    if (options_.client.properties.count(name)) continue;
    if (auto s = SetRdKafkaProperty(c, name, value); !s.ok()) return s;
  }
  // Not overridable: the position lives in checkpoints and is committed only when they complete.
  for (const auto& [name, value] : std::initializer_list<std::pair<std::string, std::string>>{
           {"group.id", options_.group_id},
           {"enable.auto.commit", "false"},
           {"enable.auto.offset.store", "false"},
           {"isolation.level", options_.isolation_level},
       }) {
    if (auto s = SetRdKafkaProperty(c, name, value); !s.ok()) return s;
  }
  rd_kafka_conf_set_error_cb(c, &KafkaSource::OnError);
  rd_kafka_conf_set_offset_commit_cb(c, &KafkaSource::OnCommit);
  rd_kafka_conf_set_opaque(c, this);
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
  if (!rk_) {
    return absl::InvalidArgumentError(absl::StrCat("kafka-source '", name_, "': consumer for ",
                                                   options_.client.Describe(), ": ", err));
  }
  conf->release();  // rd_kafka_new took ownership
  // Errors and commit results arrive on the consumer queue, served by PollBatch.
  rd_kafka_poll_set_consumer(rk_);
  queue_ = rd_kafka_queue_get_consumer(rk_);
  return absl::OkStatus();
}

absl::StatusOr<int> KafkaSource::PartitionCount(absl::Time deadline) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, options_.topic.c_str(), nullptr);
  std::string last_error = "no answer";
  absl::StatusOr<int> result = absl::UnavailableError("");
  std::optional<absl::Time> unknown_since;
  while (true) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, rkt, &md, StepMillis(deadline));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
      const rd_kafka_metadata_topic_t& t = md->topics[0];
      err = t.err;
      if (!err && t.partition_cnt > 0) result = t.partition_cnt;
      if (!err && t.partition_cnt == 0) err = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (result.ok()) break;
    ServeCallbacks();
    if (!failure_.ok()) {
      result = failure_;
      break;
    }
    if (IsFatalKafkaError(err)) {
      result = Describe(err, rd_kafka_err2str(err));
      break;
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      // A broker that has just started may not know every topic yet: believe it for a moment.
      if (!unknown_since) unknown_since = absl::Now();
      if (absl::Now() - *unknown_since >= kUnknownTopicGrace) {
        result = Describe(err, rd_kafka_err2str(err));
        break;
      }
    } else {
      unknown_since.reset();
    }
    last_error = rd_kafka_err2str(err);
    if (ctx_->IsCancelled()) {
      result = absl::CancelledError("cancelled");
      break;
    }
    if (absl::Now() >= deadline) {
      result = absl::UnavailableError(absl::StrCat(Where(), ": no partition metadata within ",
                                                   absl::ToInt64Seconds(options_.open_timeout),
                                                   "s: ", last_error));
      break;
    }
    if (!unknown_since) Warn(err, absl::StrCat("reading partition metadata: ", last_error));
    PauseBeforeRetry(deadline);
  }
  rd_kafka_topic_destroy(rkt);
  return result;
}

absl::StatusOr<KafkaSource::Offsets> KafkaSource::CommittedOffsets(absl::Time deadline) {
  while (true) {
    PartitionList list = NewPartitionList(options_.topic, partitions_, RD_KAFKA_OFFSET_INVALID);
    rd_kafka_resp_err_t err =
        rd_kafka_committed(rk_, list.get(), StepMillis(deadline, absl::Seconds(10)));
    for (int i = 0; i < list->cnt && !err; ++i) err = list->elems[i].err;
    if (!err) {
      Offsets offsets;
      for (int i = 0; i < list->cnt; ++i) {
        offsets.emplace_back(list->elems[i].partition,
                             std::max<int64_t>(list->elems[i].offset, -1));
      }
      return offsets;
    }
    if (IsFatalKafkaError(err)) return Describe(err, rd_kafka_err2str(err));
    ServeCallbacks();
    if (!failure_.ok()) return failure_;
    if (ctx_->IsCancelled()) return absl::CancelledError("cancelled");
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(
          absl::StrCat(Where(), ": no committed offsets of group '", options_.group_id, "' within ",
                       absl::ToInt64Seconds(options_.open_timeout), "s: ", rd_kafka_err2str(err)));
    }
    Warn(err, absl::StrCat("reading the committed offsets of group '", options_.group_id,
                           "': ", rd_kafka_err2str(err)));
    PauseBeforeRetry(deadline);
  }
}

absl::StatusOr<KafkaSource::Offsets> KafkaSource::ListOffsets(
    const std::vector<int32_t>& partitions, int64_t which, absl::Time deadline) {
  if (partitions.empty()) return Offsets{};
  const char* what = which == RD_KAFKA_OFFSET_BEGINNING ? "earliest" : "latest";
  while (true) {
    // ListOffsets with the timestamps -2/-1 asks for the log start / end (the last stable
    // offset under read_committed).
    PartitionList list = NewPartitionList(options_.topic, partitions, which);
    rd_kafka_resp_err_t err =
        rd_kafka_offsets_for_times(rk_, list.get(), StepMillis(deadline, absl::Seconds(10)));
    for (int i = 0; i < list->cnt && !err; ++i) {
      err = list->elems[i].err;
      if (!err && list->elems[i].offset < 0) err = RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE;
    }
    if (!err) {
      Offsets offsets;
      for (int i = 0; i < list->cnt; ++i) {
        offsets.emplace_back(list->elems[i].partition, list->elems[i].offset);
      }
      return offsets;
    }
    if (IsFatalKafkaError(err) || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return Describe(err, rd_kafka_err2str(err));
    }
    ServeCallbacks();
    if (!failure_.ok()) return failure_;
    if (ctx_->IsCancelled()) return absl::CancelledError("cancelled");
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(Where(), ": no ", what, " offsets within ",
                                                 absl::ToInt64Seconds(options_.open_timeout),
                                                 "s: ", rd_kafka_err2str(err)));
    }
    Warn(err, absl::StrCat("reading the ", what, " offsets: ", rd_kafka_err2str(err)));
    PauseBeforeRetry(deadline);
  }
}

absl::StatusOr<KafkaSource::Offsets> KafkaSource::StartOffsets(absl::Time deadline) {
  std::map<int32_t, int64_t> start;
  std::vector<int32_t> earliest;
  std::vector<int32_t> latest;
  if (restored_ && restored_topic_ != options_.topic) {
    Logger("kafka-source")
        ->warn("{} kafka-source '{}': the checkpoint is for topic '{}', not '{}'; starting from {}",
               ctx_->task_name, name_, restored_topic_, options_.topic,
               StartFromName(options_.start_from));
    restored_.reset();
  }
  if (restored_) {
    for (int32_t p : partitions_) {
      auto it = restored_->find(p);
      // A partition added since the checkpoint is read from its beginning, as Flink does.
      if (it != restored_->end())
        start[p] = it->second;
      else
        earliest.push_back(p);
    }
  } else if (options_.start_from == StartFrom::kEarliest) {
    earliest = partitions_;
  } else if (options_.start_from == StartFrom::kLatest) {
    latest = partitions_;
  } else if (!partitions_.empty()) {
    auto committed = CommittedOffsets(deadline);
    if (!committed.ok()) return committed.status();
    for (const auto& [p, offset] : *committed) {
      if (offset >= 0)
        start[p] = offset;
      else
        earliest.push_back(p);  // the group has no committed offset here yet
    }
  }
  for (const auto& [set, which] :
       {std::pair{&earliest, RD_KAFKA_OFFSET_BEGINNING}, std::pair{&latest, RD_KAFKA_OFFSET_END}}) {
    auto offsets = ListOffsets(*set, which, deadline);
    if (!offsets.ok()) return offsets.status();
    for (const auto& [p, offset] : *offsets) start[p] = offset;
  }
  return Offsets(start.begin(), start.end());
}

absl::Status KafkaSource::Open(OperatorContext& ctx) {
  ctx_ = &ctx;
  if (ctx.spec) name_ = ctx.spec->name;
  const absl::Time deadline = absl::Now() + options_.open_timeout;
  if (auto s = CreateConsumer(); !s.ok()) return s;
  messages_.assign(options_.max_batch_records, nullptr);

  auto count = PartitionCount(deadline);
  if (count.status().code() == absl::StatusCode::kCancelled) return absl::OkStatus();
  if (!count.ok()) return count.status();
  const int parallelism = std::max(
      ctx.job && ctx.spec ? OperatorParallelism(*ctx.job, *ctx.spec, KafkaSourceTraits()) : 1, 1);
  partitions_.clear();
  for (int32_t p = 0; p < *count; ++p) {
    if (p % parallelism == ctx.subtask) partitions_.push_back(p);
  }
  next_offset_.assign(*count, -1);

  auto start = StartOffsets(deadline);
  if (start.status().code() == absl::StatusCode::kCancelled) return absl::OkStatus();
  if (!start.ok()) return start.status();
  PartitionList list = NewPartitionList(options_.topic, *start);
  std::vector<std::string> described;
  for (const auto& [p, offset] : *start) {
    next_offset_[p] = offset;
    described.push_back(absl::StrCat(p, ":", offset));
  }
  if (options_.bounded) {
    if (auto s = SetStopOffsets(deadline); !s.ok()) return s;
  }
  ServeCallbacks();
  if (!failure_.ok()) return failure_;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list.get())) {
    return Describe(err, absl::StrCat("assign: ", rd_kafka_err2str(err)));
  }
  assigned_ = true;
  RegisterGauges();
  if (!failure_.ok()) return failure_;
  auto log = Logger("kafka-source");
  if (partitions_.empty()) {
    log->warn(
        "{} kafka-source '{}': topic '{}' has {} partitions, none for subtask {} of {}; "
        "idle",
        ctx.task_name, name_, options_.topic, *count, ctx.subtask, parallelism);
  } else {
    log->info(
        "{} kafka-source '{}' reading topic '{}' on {} as group '{}' ({}), partition:offset "
        "{} from {}",
        ctx.task_name, name_, options_.topic, options_.client.Describe(), options_.group_id,
        options_.isolation_level, absl::StrJoin(described, ","),
        restored_ ? "the checkpoint" : StartFromName(options_.start_from));
  }
  return absl::OkStatus();
}

absl::Status KafkaSource::HandleError(rd_kafka_resp_err_t err, const std::string& detail) {
  if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return absl::OkStatus();
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(rk_, fatal, sizeof(fatal));
    return Describe(code, fatal);
  }
  if (IsFatalKafkaError(err)) return Describe(err, detail);
  if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
      err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
    // Also seen while a restarted broker loads its logs: fail only if the metadata agrees.
    auto count = PartitionCount(absl::Now() + absl::Seconds(10));
    if (count.status().code() == absl::StatusCode::kFailedPrecondition) return count.status();
  }
  Warn(err, detail);
  return absl::OkStatus();
}

absl::Status KafkaSource::PollBatch(RecordBatch& out, absl::Duration max_wait) {
  if (!failure_.ok()) return failure_;
  if (!assigned_) {
    // Cancelled while opening: nothing assigned, nothing to read.
    absl::SleepFor(max_wait);
    return absl::OkStatus();
  }
  const int wait_ms =
      static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(max_wait), 0, INT_MAX));
  const ssize_t n =
      rd_kafka_consume_batch_queue(queue_, wait_ms, messages_.data(), messages_.size());
  if (n < 0) {
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    return Describe(err, absl::StrCat("consume: ", rd_kafka_err2str(err)));
  }
  absl::Status status;
  uint64_t records = 0;
  uint64_t bytes = 0;
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = messages_[i];
    if (m->err) {
      if (status.ok()) status = HandleError(m->err, rd_kafka_message_errstr(m));
    } else if (m->partition >= 0 && static_cast<size_t>(m->partition) < next_offset_.size()) {
      if (!stop_offset_.empty() && m->offset >= stop_offset_[m->partition]) {
        // Past a bounded source's end: dropped, and the partition fetched no further.
        PartitionList list = NewPartitionList(options_.topic, {m->partition}, m->offset);
        rd_kafka_pause_partitions(rk_, list.get());
        rd_kafka_message_destroy(m);
        continue;
      }
      out.Append(std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0));
      next_offset_[m->partition] = m->offset + 1;
      ++records;
      bytes += m->len;
    }
    rd_kafka_message_destroy(m);
  }
  if (records > 0 && ctx_->counters) ctx_->counters->AddIn(records, bytes);
  if (!status.ok()) return status;
  UpdateGauges();
  // The end is reported by a poll that read nothing (the task drops the batch OutOfRange
  // comes with), and checked only then: it asks librdkafka.
  if (failure_.ok() && !stop_offset_.empty() && records == 0 && ReadToStop()) {
    return absl::OutOfRangeError(absl::StrCat(Where(), ": read to its stop offsets"));
  }
  return failure_;
}

absl::Status KafkaSource::SetStopOffsets(absl::Time deadline) {
  if (!restored_) restored_stop_.clear();  // none, or for another topic (see StartOffsets)
  stop_offset_.assign(next_offset_.size(), -1);
  std::vector<int32_t> unknown;
  for (int32_t p : partitions_) {
    auto it = restored_stop_.find(p);
    if (it != restored_stop_.end()) {
      stop_offset_[p] = it->second;
    } else {
      unknown.push_back(p);
    }
  }
  auto ends = ListOffsets(unknown, RD_KAFKA_OFFSET_END, deadline);
  if (!ends.ok()) return ends.status();
  for (const auto& [p, offset] : *ends) stop_offset_[p] = offset;
  std::vector<std::string> described;
  for (int32_t p : partitions_) described.push_back(absl::StrCat(p, ":", stop_offset_[p]));
  Logger("kafka-source")
      ->info("{} kafka-source '{}' is bounded: reads topic '{}' up to partition:offset {}",
             ctx_->task_name, name_, options_.topic, absl::StrJoin(described, ","));
  return absl::OkStatus();
}

bool KafkaSource::ReadToStop() const {
  // CurrentOffsets steps over transaction markers, which never arrive as records.
  for (const auto& [p, next] : CurrentOffsets()) {
    if (next < stop_offset_[p]) return false;
  }
  return true;
}

KafkaSource::Offsets KafkaSource::CurrentOffsets() const {
  Offsets offsets;
  if (partitions_.empty() || !rk_) return offsets;
  PartitionList list = NewPartitionList(options_.topic, partitions_, RD_KAFKA_OFFSET_INVALID);
  // librdkafka's position also steps over transaction markers, which are never delivered: an
  // input written by a transactional producer would otherwise show a lag of 1 for ever.
  const bool positioned = rd_kafka_position(rk_, list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; i < list->cnt; ++i) {
    const int32_t p = list->elems[i].partition;
    int64_t next = next_offset_[p];
    if (positioned && !list->elems[i].err) next = std::max(next, list->elems[i].offset);
    if (next >= 0) offsets.emplace_back(p, next);  // < 0: never assigned (cancelled in Open)
  }
  return offsets;
}

std::map<int32_t, int64_t> KafkaSource::positions() const {
  Offsets offsets = CurrentOffsets();
  return std::map<int32_t, int64_t>(offsets.begin(), offsets.end());
}

absl::Status KafkaSource::SnapshotState(int64_t checkpoint_id, std::string* state) {
  Offsets offsets = CurrentOffsets();
  std::map<int32_t, int64_t> stop;
  for (int32_t p : partitions_) {
    if (!stop_offset_.empty()) stop[p] = stop_offset_[p];
  }
  *state = EncodeTopicOffsets(options_.topic, offsets, stop);
  snapshots_[checkpoint_id] = std::move(offsets);
  while (snapshots_.size() > kMaxPendingSnapshots) snapshots_.erase(snapshots_.begin());
  return absl::OkStatus();
}

absl::Status KafkaSource::RestoreState(std::string_view state) {
  auto restored = DecodeTopicOffsets(state);
  if (!restored.ok()) return restored.status();
  // Called once per old subtask after a rescale: the union of their offsets covers every
  // partition, and Open keeps those this subtask now reads.
  if (restored_ && restored_topic_ != restored->topic) {
    return absl::InvalidArgumentError(
        absl::StrCat("kafka-source '", name_, "': the restored state names topics '",
                     restored_topic_, "' and '", restored->topic, "'"));
  }
  restored_topic_ = std::move(restored->topic);
  if (!restored_) restored_.emplace();
  for (const auto& [p, offset] : restored->offsets) (*restored_)[p] = offset;
  for (const auto& [p, offset] : restored->stop) restored_stop_[p] = offset;
  return absl::OkStatus();
}

absl::Status KafkaSource::NotifyCheckpointComplete(int64_t checkpoint_id) {
  // Notifications may skip ids (only the latest completed one is sent): commit the newest
  // snapshot the completed checkpoint covers and forget the older ones.
  auto it = snapshots_.upper_bound(checkpoint_id);
  if (it == snapshots_.begin()) return failure_;
  Offsets offsets = std::move(std::prev(it)->second);
  snapshots_.erase(snapshots_.begin(), it);
  if (offsets.empty() || !rk_) return failure_;
  PartitionList list = NewPartitionList(options_.topic, offsets);
  // Asynchronous: the result arrives in OnCommit while PollBatch serves the queue.
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list.get(), /*async=*/1);
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    Warn(err, absl::StrCat("committing checkpoint offsets to group '", options_.group_id,
                           "': ", rd_kafka_err2str(err)));
  }
  return failure_;
}

absl::Status KafkaSource::Close() {
  if (!rk_) return absl::OkStatus();
  if (queue_) rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
  // Without group membership there is nothing for a consumer close to leave or revoke. This
  // still waits for a commit in flight, bounded by the timeouts set in CreateConsumer.
  rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  rk_ = nullptr;
  assigned_ = false;
  return absl::OkStatus();
}

}  // namespace ec
