// KafkaWriter: a librdkafka producer for one topic, shared by the Kafka sink and dead-letter
// outputs. Turns librdkafka's asynchronous errors into one clear, secret-free status.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "connectors/kafka/kafka_config.h"
#include "runtime/metrics.h"
#include "runtime/record_batch.h"

namespace ec {

// Writes records to one topic with acks=all and the idempotent producer. Write() queues (with
// back-pressure when librdkafka's bounded queue is full); delivery happens in the background and
// errors surface from Poll()/Write()/Flush() as the first failure seen. Used from one thread
// (the task's); librdkafka's callbacks run inside Poll/Flush on that same thread.
class KafkaWriter {
 public:
  struct Options {
    KafkaClientConfig client;
    std::string topic;
    std::string guarantee = "at-least-once";  // at-least-once | exactly-once | none
    // exactly-once: the transactional id (stable per subtask, so a new attempt fences the old
    // one and aborts what it left open) and the transaction timeout.
    std::string transactional_id;
    absl::Duration transaction_timeout = absl::Seconds(60);
    absl::Duration delivery_timeout = absl::Seconds(120);
    std::string log_prefix;                 // "job=.. task=.." for log lines
    OperatorCounters* delivered = nullptr;  // records/bytes out, counted on acknowledgement
    Gauge* send_errors = nullptr;           // records the broker refused or that timed out
  };

  static absl::StatusOr<std::unique_ptr<KafkaWriter>> Create(Options options);
  ~KafkaWriter();
  KafkaWriter(const KafkaWriter&) = delete;
  KafkaWriter& operator=(const KafkaWriter&) = delete;

  absl::Status Write(std::string_view value);
  // Queues every record of `batch` with one librdkafka call per batch (rd_kafka_produce_batch),
  // waiting for room while the bounded queue is full. The batch's bytes are copied once, in
  // one piece, into a buffer lent to librdkafka until every record of it is acknowledged
  // (no copy per record); `batch` may be reused as soon as this returns.
  absl::Status WriteBatch(const RecordBatch& batch);
  // Serves delivery reports and errors without blocking.
  absl::Status Poll();
  // Waits until everything written is acknowledged, or `deadline`.
  absl::Status Flush(absl::Time deadline);
  int64_t in_flight() const;

  // exactly-once only: commits the open transaction (everything written so far becomes visible
  // to read_committed consumers) and begins the next one. Errors fail the task; the records of
  // the failed transaction are aborted and replayed from the last checkpoint.
  absl::Status CommitTransaction(absl::Time deadline);
  // exactly-once only: aborts the open transaction (on cancel).
  absl::Status AbortTransaction(absl::Time deadline);
  bool transactional() const { return options_.guarantee == "exactly-once"; }
  const std::string& transactional_id() const { return options_.transactional_id; }
  // Records written into the open transaction since it began (exactly-once).
  int64_t transaction_records() const { return transaction_records_; }

 private:
  explicit KafkaWriter(Options options);
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  void Fail(absl::Status status);
  // Turns a transactional API error into a status (and destroys it).
  absl::Status TransactionError(rd_kafka_error_t* error, const char* what);
  absl::Status Describe(rd_kafka_resp_err_t err, const std::string& detail) const;

  // The bytes of one batch lent to librdkafka: its messages point into `data` until each is
  // acknowledged (or fails), then the buffer goes back to `free_buffers_` with its capacity.
  struct LentBuffer {
    std::string data;
    int64_t unacknowledged = 0;  // queued messages not yet reported, plus one while queuing
  };
  LentBuffer* Lend(const RecordBatch& batch);
  void Return(LentBuffer* buffer);

  Options options_;
  // Every lent buffer this writer made; they outlive rk_ (destroyed first, in ~KafkaWriter),
  // so no message can point into a freed one. Bounded by queue.buffering.max.messages.
  std::vector<std::unique_ptr<LentBuffer>> buffers_;
  std::vector<LentBuffer*> free_buffers_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  absl::Status failure_;  // first failure; touched only from the owning thread's callbacks
  bool logged_down_ = false;
  int64_t transaction_records_ = 0;
  std::vector<rd_kafka_message_t> messages_;  // reused by WriteBatch
};

}  // namespace ec
