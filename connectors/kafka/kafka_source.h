// Kafka source: reads one topic like Flink's KafkaSource, with its position in checkpoints.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/kafka/kafka_config.h"
#include "connectors/kafka/kafka_offsets.h"
#include "operators/operator.h"

namespace ec {

// Reads the partitions p of `topic` with p % parallelism == subtask (the operator's parallelism,
// which is the job's unless the operator sets its own), assigned by hand (no group
// membership or rebalancing: the job, not Kafka, decides who reads what). The start position is
// resolved to concrete offsets at Open: the restored checkpoint's, else `start-from` (earliest,
// latest, or the group's committed offsets falling back to earliest), so every snapshot names
// an exact offset per partition. Offsets are committed to the consumer group only when a
// checkpoint that contains them completes, for tools such as kcat or Kafka UI to see progress;
// recovery never depends on them. A broker that goes away is retried by librdkafka (one warning
// per distinct error and 30 s) while the job stays RUNNING; authorization failures, an unknown
// topic or a fatal client error fail the task with a message naming the topic.
// Owned and called by one task thread; librdkafka's callbacks run inside its calls.
class KafkaSource : public SourceOperator {
 public:
  enum class StartFrom { kEarliest, kLatest, kGroupOffsets };

  struct Options {
    KafkaClientConfig client;
    std::string topic;
    std::string group_id;
    StartFrom start_from = StartFrom::kGroupOffsets;
    std::string isolation_level = "read_committed";  // read_committed | read_uncommitted
    size_t max_batch_records = 4096;
    // Flink's setBounded(OffsetsInitializer.latest()), SQL's scan.bounded.mode latest-offset:
    // each partition is read up to its end as of the job's first start (kept in checkpoints),
    // then the subtask finishes.
    bool bounded = false;
    // How long Open may retry reading the topic's metadata and start offsets before it fails
    // the task as unavailable (Flink's default.api.timeout.ms).
    absl::Duration open_timeout = absl::Seconds(60);
  };

  explicit KafkaSource(Options options);
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Creates the consumer, reads the partitions and assigns them at their start offsets. Fails
  // with FailedPrecondition for a topic that does not exist, PermissionDenied/Unauthenticated
  // for missing ACLs or bad credentials, Unavailable when Kafka cannot be reached in time.
  absl::Status Open(OperatorContext& ctx) override;
  // Appends up to max_batch_records payloads that arrive within `max_wait`.
  absl::Status PollBatch(RecordBatch& out, absl::Duration max_wait) override;
  // Destroys the consumer; a commit still in flight holds it up for at most ~10 s.
  absl::Status Close() override;
  // The state is {"topic": T, "offsets": {"<partition>": next offset, ...}}.
  absl::Status SnapshotState(int64_t checkpoint_id, std::string* state) override;
  // Called before Open: the restored offsets win over start-from. Called once per old subtask
  // when the job was rescaled (union redistribution): the offsets are merged, and Open keeps
  // those of the partitions this subtask reads now.
  absl::Status RestoreState(std::string_view state) override;
  // Commits the offsets of that checkpoint's snapshot to the group (asynchronously).
  absl::Status NotifyCheckpointComplete(int64_t checkpoint_id) override;

  // The next offset to read per assigned partition (for tests and logs).
  std::map<int32_t, int64_t> positions() const;

 private:
  using Offsets = PartitionOffsets;

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void OnCommit(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                       rd_kafka_topic_partition_list_t* offsets, void* opaque);

  absl::Status CreateConsumer();
  // The topic's partition count from a metadata request; retried until `deadline`.
  absl::StatusOr<int> PartitionCount(absl::Time deadline);
  // Concrete start offsets for partitions_, retried until `deadline`.
  absl::StatusOr<Offsets> StartOffsets(absl::Time deadline);
  // Offsets the group committed; -1 for partitions without one.
  absl::StatusOr<Offsets> CommittedOffsets(absl::Time deadline);
  // ListOffsets at `which` (RD_KAFKA_OFFSET_BEGINNING or _END) for `partitions`.
  absl::StatusOr<Offsets> ListOffsets(const std::vector<int32_t>& partitions, int64_t which,
                                      absl::Time deadline);
  // The error of a consumed message (or of the client): fatal ones become a status, the rest
  // a rate-limited warning.
  absl::Status HandleError(rd_kafka_resp_err_t err, const std::string& detail);
  absl::Status Describe(rd_kafka_resp_err_t err, const std::string& detail) const;
  void Warn(rd_kafka_resp_err_t err, const std::string& what);
  void Fail(absl::Status status);
  // Time left until `deadline` in ms for one blocking librdkafka call, at most `cap`.
  // Serves errors and callbacks queued while Open waits in blocking calls (before assign only).
  void ServeCallbacks();
  static int StepMillis(absl::Time deadline, absl::Duration cap = absl::Seconds(2));
  Offsets CurrentOffsets() const;
  std::string Where() const;
  // Registers the metrics gauges of the assigned partitions (in Open) and sets them (at most
  // once a second, from PollBatch).
  void RegisterGauges();
  void UpdateGauges();
  // Bounded: sets stop_offset_ (restored, else the partitions' ends now); then whether every
  // assigned partition has been read up to it.
  absl::Status SetStopOffsets(absl::Time deadline);
  bool ReadToStop() const;

  Options options_;
  std::string name_ = "kafka-source";  // the operator's name in the job, for messages
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  bool assigned_ = false;
  std::vector<int32_t> partitions_;                     // assigned to this subtask, ascending
  std::vector<int64_t> next_offset_;                    // by partition id; -1 where not assigned
  std::optional<std::map<int32_t, int64_t>> restored_;  // from RestoreState
  std::map<int32_t, int64_t> restored_stop_;            // a bounded source's, from RestoreState
  std::vector<int64_t> stop_offset_;  // bounded: by partition id, where reading ends; else empty
  std::string restored_topic_;
  std::map<int64_t, Offsets> snapshots_;       // checkpoint id -> offsets, until committed
  std::vector<rd_kafka_message_t*> messages_;  // reused by PollBatch
  absl::Status failure_;                       // first fatal error seen in a callback
  std::map<int, absl::Time> warned_;           // error code -> when last logged
  // Per assigned partition: Flink's KafkaSourceReader.topic.<t>.partition.<p>.currentOffset and
  // the records behind the partition's end; their sum is FLIP-33's pendingRecords.
  struct PartitionGauges {
    int32_t partition;
    Gauge* offset;
    Gauge* lag;
  };
  std::vector<PartitionGauges> partition_gauges_;
  Gauge* pending_records_ = nullptr;
  absl::Time gauges_updated_ = absl::InfinitePast();
};

absl::StatusOr<KafkaSource::Options> KafkaSourceOptions(const JobSpec& job, const OperatorSpec& op,
                                                        const std::string& path);
absl::Status ValidateKafkaSource(const JobSpec& job, const OperatorSpec& op,
                                 const std::string& path);

}  // namespace ec
