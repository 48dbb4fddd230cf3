// librdkafka producer wrapper with error classification.
#include "connectors/kafka/kafka_writer.h"

#include "absl/strings/str_cat.h"
#include "connectors/kafka/kafka_error_policy.h"
#include "runtime/logging.h"

namespace ec {

KafkaWriter::KafkaWriter(Options options) : options_(std::move(options)) {}

KafkaWriter::~KafkaWriter() {
  if (rkt_) rd_kafka_topic_destroy(rkt_);
  if (rk_) rd_kafka_destroy(rk_);
}

absl::StatusOr<std::unique_ptr<KafkaWriter>> KafkaWriter::Create(Options options) {
  std::unique_ptr<KafkaWriter> writer(new KafkaWriter(std::move(options)));
  auto conf = writer->options_.client.ToRdKafkaConf();
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_t* c = conf->get();
  const bool durable = writer->options_.guarantee != "none";
  const std::string timeout_ms =
      std::to_string(absl::ToInt64Milliseconds(writer->options_.delivery_timeout));
  for (const auto& [name, value] : std::initializer_list<std::pair<std::string, std::string>>{
           {"acks", durable ? "all" : "1"},
           {"enable.idempotence", durable ? "true" : "false"},
           {"linger.ms", "5"},
           {"batch.num.messages", "10000"},
           {"queue.buffering.max.messages", "50000"},
           {"queue.buffering.max.kbytes", "65536"},
           {"compression.codec", "lz4"},
           {"message.timeout.ms", timeout_ms},
           {"log.connection.close", "false"},
       }) {
    if (writer->options_.client.properties.count(name)) continue;  // the user's kafka.<x> wins
    if (auto s = SetRdKafkaProperty(c, name, value); !s.ok()) return s;
  }
  if (writer->transactional()) {
    if (auto s = SetRdKafkaProperty(c, "transactional.id", writer->options_.transactional_id);
        !s.ok()) {
      return s;
    }
    const std::string txn_ms =
        std::to_string(absl::ToInt64Milliseconds(writer->options_.transaction_timeout));
    if (auto s = SetRdKafkaProperty(c, "transaction.timeout.ms", txn_ms); !s.ok()) return s;
  }
  rd_kafka_conf_set_dr_msg_cb(c, &KafkaWriter::OnDelivery);
  rd_kafka_conf_set_error_cb(c, &KafkaWriter::OnError);
  rd_kafka_conf_set_opaque(c, writer.get());
  char err[512];
  writer->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
  if (!writer->rk_) {
    return absl::InvalidArgumentError(
        absl::StrCat("kafka producer for ", writer->options_.client.Describe(), ": ", err));
  }
  conf->release();  // rd_kafka_new took ownership
  writer->rkt_ = rd_kafka_topic_new(writer->rk_, writer->options_.topic.c_str(), nullptr);
  if (writer->transactional()) {
    // Fences earlier producers with the same transactional id and aborts what they left open.
    const int timeout_ms =
        static_cast<int>(absl::ToInt64Milliseconds(writer->options_.delivery_timeout));
    if (auto s = writer->TransactionError(rd_kafka_init_transactions(writer->rk_, timeout_ms),
                                          "init transactions");
        !s.ok()) {
      return s;
    }
    if (auto s =
            writer->TransactionError(rd_kafka_begin_transaction(writer->rk_), "begin transaction");
        !s.ok()) {
      return s;
    }
  }
  return writer;
}

absl::Status KafkaWriter::Describe(rd_kafka_resp_err_t err, const std::string& detail) const {
  const std::string where =
      absl::StrCat("kafka topic '", options_.topic, "' on ", options_.client.Describe());
  switch (err) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return absl::UnauthenticatedError(absl::StrCat(
          where, ": authentication failed (check kafka-sasl-username and the password): ", detail));
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return absl::PermissionDeniedError(
          absl::StrCat(where, ": not authorized to write (the user has no ACL for it): ", detail));
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return absl::UnavailableError(absl::StrCat(
          where, ": records not acknowledged within the delivery timeout of ",
          absl::ToInt64Seconds(options_.delivery_timeout), "s (broker unreachable?): ", detail));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::FailedPreconditionError(absl::StrCat(where, ": topic does not exist: ", detail));
    default:
      return absl::UnavailableError(absl::StrCat(where, ": ", detail));
  }
}

void KafkaWriter::Fail(absl::Status status) {
  if (failure_.ok()) failure_ = std::move(status);
}

void KafkaWriter::OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<KafkaWriter*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
    self->Fail(self->Describe(code, fatal));
  } else if (msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
             msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    // Dropped by our own transaction abort: intended, not a delivery failure.
  } else if (msg->err) {
    if (self->options_.send_errors) self->options_.send_errors->Add(1);
    self->Fail(self->Describe(msg->err, rd_kafka_err2str(msg->err)));
  } else if (self->options_.delivered) {
    self->options_.delivered->AddOut(1, msg->len);
  }
  if (msg->_private) self->Return(static_cast<LentBuffer*>(msg->_private));
}

KafkaWriter::LentBuffer* KafkaWriter::Lend(const RecordBatch& batch) {
  if (free_buffers_.empty()) {
    buffers_.push_back(std::make_unique<LentBuffer>());
    free_buffers_.push_back(buffers_.back().get());
  }
  LentBuffer* buffer = free_buffers_.back();
  free_buffers_.pop_back();
  buffer->data.assign(batch.data());
  buffer->unacknowledged = 1;  // the writer's own hold until every record is queued
  return buffer;
}

void KafkaWriter::Return(LentBuffer* buffer) {
  if (--buffer->unacknowledged == 0) free_buffers_.push_back(buffer);
}

void KafkaWriter::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaWriter*>(opaque);
  const KafkaCallbackError error = ReadCallbackError(rk, err, reason);
  if (error.fatal) {  // bad credentials or ACLs, a fatal client state: retrying cannot help
    self->Fail(self->Describe(error.code, error.reason));
    return;
  }
  const rd_kafka_resp_err_t code = error.code;
  // Transient (brokers down, connection refused): librdkafka retries by itself until the
  // delivery timeout; say so once per outage, not once per attempt.
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__TRANSPORT) {
    if (!self->logged_down_) {
      Logger("kafka")->warn("{} kafka {} unreachable ({}); buffering and retrying for up to {}s",
                            self->options_.log_prefix, self->options_.client.Describe(), reason,
                            absl::ToInt64Seconds(self->options_.delivery_timeout));
      self->logged_down_ = true;
    }
    return;
  }
  Logger("kafka")->warn("{} kafka {}: {}", self->options_.log_prefix,
                        self->options_.client.Describe(), reason);
}

absl::Status KafkaWriter::Write(std::string_view value) {
  while (true) {
    if (!failure_.ok()) return failure_;
    if (rd_kafka_produce(rkt_, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                         const_cast<char*>(value.data()), value.size(), nullptr, 0, nullptr) == 0) {
      ++transaction_records_;
      return absl::OkStatus();
    }
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return Describe(err, rd_kafka_err2str(err));
    // The bounded queue is full: wait for deliveries (back-pressure to the source).
    rd_kafka_poll(rk_, 10);
  }
}

absl::Status KafkaWriter::WriteBatch(const RecordBatch& batch) {
  if (batch.empty()) return absl::OkStatus();  // as before lending: nothing queued, no check
  LentBuffer* buffer = Lend(batch);
  char* data = buffer->data.data();
  const std::vector<uint32_t>& ends = batch.ends();
  absl::Status status;
  size_t next = 0;
  while (next < batch.size()) {
    if (!failure_.ok()) {
      status = failure_;
      break;
    }
    const size_t n = batch.size() - next;
    messages_.assign(n, rd_kafka_message_t{});
    for (size_t i = 0; i < n; ++i) {
      const size_t begin = next + i == 0 ? 0 : ends[next + i - 1];
      messages_[i].payload = data + begin;
      messages_[i].len = ends[next + i] - begin;
      messages_[i]._private = buffer;  // the msg_opaque its delivery report returns
    }
    // No RD_KAFKA_MSG_F_COPY: the messages point into the lent buffer.
    const int queued = rd_kafka_produce_batch(rkt_, RD_KAFKA_PARTITION_UA, 0, messages_.data(),
                                              static_cast<int>(n));
    buffer->unacknowledged += std::max(queued, 0);
    transaction_records_ += std::max(queued, 0);
    // Messages are queued in order up to the first failure; the rest carry their error.
    for (size_t i = static_cast<size_t>(std::max(queued, 0)); i < n && status.ok(); ++i) {
      if (messages_[i].err && messages_[i].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        status = Describe(messages_[i].err, rd_kafka_err2str(messages_[i].err));
      }
    }
    if (!status.ok()) break;
    next += static_cast<size_t>(std::max(queued, 0));
    if (next < batch.size()) rd_kafka_poll(rk_, 10);  // full: wait for deliveries (back-pressure)
  }
  Return(buffer);  // the writer's hold: the buffer is free once every queued record is reported
  return status;
}

absl::Status KafkaWriter::Poll() {
  rd_kafka_poll(rk_, 0);
  if (failure_.ok() && logged_down_ && rd_kafka_outq_len(rk_) == 0) logged_down_ = false;
  return failure_;
}

absl::Status KafkaWriter::Flush(absl::Time deadline) {
  while (rd_kafka_outq_len(rk_) > 0 && failure_.ok()) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("kafka topic '", options_.topic, "': ", rd_kafka_outq_len(rk_),
                       " records still unacknowledged at the flush deadline"));
    }
    rd_kafka_flush(rk_, static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left), 100)));
  }
  rd_kafka_poll(rk_, 0);
  return failure_;
}

int64_t KafkaWriter::in_flight() const { return rd_kafka_outq_len(rk_); }

absl::Status KafkaWriter::TransactionError(rd_kafka_error_t* error, const char* what) {
  if (!error) return absl::OkStatus();
  rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  const std::string detail = absl::StrCat(what, ": ", rd_kafka_error_string(error));
  const bool abortable = rd_kafka_error_txn_requires_abort(error);
  rd_kafka_error_destroy(error);
  if (abortable) {
    // The records of this transaction are replayed from the last checkpoint after the restart.
    if (rd_kafka_error_t* e = rd_kafka_abort_transaction(rk_, 10000)) rd_kafka_error_destroy(e);
  }
  absl::Status status = Describe(code, detail);
  Fail(status);
  return status;
}

absl::Status KafkaWriter::CommitTransaction(absl::Time deadline) {
  if (!failure_.ok()) return failure_;
  const int timeout_ms =
      static_cast<int>(std::max<int64_t>(absl::ToInt64Milliseconds(deadline - absl::Now()), 1000));
  if (auto s = TransactionError(rd_kafka_commit_transaction(rk_, timeout_ms), "commit transaction");
      !s.ok()) {
    return s;
  }
  transaction_records_ = 0;
  rd_kafka_poll(rk_, 0);
  if (!failure_.ok()) return failure_;
  return TransactionError(rd_kafka_begin_transaction(rk_), "begin transaction");
}

absl::Status KafkaWriter::AbortTransaction(absl::Time deadline) {
  const int timeout_ms =
      static_cast<int>(std::max<int64_t>(absl::ToInt64Milliseconds(deadline - absl::Now()), 1000));
  rd_kafka_error_t* error = rd_kafka_abort_transaction(rk_, timeout_ms);
  transaction_records_ = 0;
  if (!error) return absl::OkStatus();
  const std::string detail = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return absl::UnavailableError(
      absl::StrCat("kafka topic '", options_.topic, "': abort transaction: ", detail));
}

}  // namespace ec
