// KafkaProtocolClient against a real broker (started by test_kafka_protocol_client.py, which
// sets EC_TEST_KAFKA_*): transactions made by librdkafka's transactional producer, described
// and ended by our client. Lines starting "OBSERVED" record what the broker answered.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "connectors/kafka/kafka_protocol_client.h"

namespace ec {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafkaPtr = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

std::string Unique(const std::string& prefix) {
  return absl::StrCat(prefix, "-", absl::ToUnixMicros(absl::Now()));
}

absl::Time In(absl::Duration d) { return absl::Now() + d; }

std::string Text(const TransactionDescription& t) {
  return absl::StrCat("state=", t.state, " producer_id=", t.producer_id,
                      " epoch=", t.producer_epoch, " start_time_ms=", t.start_time_ms,
                      " timeout_ms=", t.timeout_ms);
}

void Observe(const std::string& what, const std::string& fact) {
  std::printf("OBSERVED %s: %s\n", what.c_str(), fact.c_str());
  std::fflush(stdout);
}

std::string Text(const absl::Status& s) {
  return s.ok() ? "OK"
                : absl::StrCat(absl::StatusCodeToString(s.code()),
                               " kafka_error=", KafkaErrorCodeOf(s), " (", s.message(), ")");
}

class KafkaProtocolBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = Env("EC_TEST_KAFKA_BOOTSTRAP");
    sasl_bootstrap_ = Env("EC_TEST_KAFKA_SASL_BOOTSTRAP");
    sasl_ssl_bootstrap_ = Env("EC_TEST_KAFKA_SASL_SSL_BOOTSTRAP");
    ssl_bootstrap_ = Env("EC_TEST_KAFKA_SSL_BOOTSTRAP");
    ca_file_ = Env("EC_TEST_KAFKA_CA_FILE");
    topic_ = Env("EC_TEST_KAFKA_TOPIC");
    if (bootstrap_.empty() || topic_.empty()) {
      GTEST_SKIP() << "EC_TEST_KAFKA_BOOTSTRAP / EC_TEST_KAFKA_TOPIC not set";
    }
  }

  KafkaClientConfig Plaintext() const {
    KafkaClientConfig c;
    c.bootstrap_servers = bootstrap_;
    return c;
  }
  KafkaClientConfig Sasl(const std::string& mechanism, const std::string& user,
                         const std::string& password) const {
    KafkaClientConfig c;
    c.bootstrap_servers = sasl_bootstrap_;
    c.security_protocol = "SASL_PLAINTEXT";
    c.sasl_mechanism = mechanism;
    c.sasl_username = user;
    c.sasl_password = password;
    return c;
  }
  // SASL over TLS, the broker checked against `ca` (ssl.ca.location, as a job's
  // kafka.ssl.ca.location parameter would give it).
  KafkaClientConfig SaslSsl(const std::string& mechanism, const std::string& user,
                            const std::string& password, const std::string& ca) const {
    KafkaClientConfig c = Sasl(mechanism, user, password);
    c.bootstrap_servers = sasl_ssl_bootstrap_;
    c.security_protocol = "SASL_SSL";
    c.properties["ssl.ca.location"] = ca;
    return c;
  }

  std::unique_ptr<KafkaProtocolClient> Client(const KafkaClientConfig& config) {
    auto client = KafkaProtocolClient::Connect(config, In(absl::Seconds(20)));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // A transactional producer (PLAINTEXT) after init_transactions.
  RdKafkaPtr Producer(const std::string& transactional_id, int transaction_timeout_ms = 60000) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const char* k, const std::string& v) {
      EXPECT_EQ(rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK) << err;
    };
    set("bootstrap.servers", bootstrap_);
    set("transactional.id", transactional_id);
    set("transaction.timeout.ms", std::to_string(transaction_timeout_ms));
    set("message.timeout.ms", std::to_string(std::min(transaction_timeout_ms, 30000)));
    RdKafkaPtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err)));
    EXPECT_NE(rk, nullptr) << err;
    if (rk == nullptr) return rk;
    rd_kafka_error_t* e = rd_kafka_init_transactions(rk.get(), 30000);
    EXPECT_EQ(e, nullptr) << rd_kafka_error_string(e);
    if (e != nullptr) rd_kafka_error_destroy(e);
    return rk;
  }

  // begin_transaction, `n` records "PREFIX-i" to the topic, flush: the transaction is left open.
  void ProduceInTransaction(rd_kafka_t* rk, const std::string& prefix, int n) {
    rd_kafka_error_t* e = rd_kafka_begin_transaction(rk);
    ASSERT_EQ(e, nullptr) << rd_kafka_error_string(e);
    for (int i = 0; i < n; ++i) {
      std::string value = absl::StrCat(prefix, "-", i);
      ASSERT_EQ(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(0),
                                  RD_KAFKA_V_VALUE(value.data(), value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    ASSERT_EQ(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // How many records starting with PREFIX- a read_committed consumer sees on partition 0
  // (it stops early when it has seen `expect`).
  int ReadCommitted(const std::string& prefix, int expect, absl::Duration timeout) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_.c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", Unique("ec-proto-test").c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "isolation.level", "read_committed", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    RdKafkaPtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err)));
    EXPECT_NE(rk, nullptr) << err;
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic_.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk.get(), parts);
    rd_kafka_topic_partition_list_destroy(parts);
    int seen = 0;
    const absl::Time deadline = In(timeout);
    while (seen < expect && absl::Now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 200);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::string value(static_cast<const char*>(m->payload), m->len);
        if (value.rfind(prefix + "-", 0) == 0) ++seen;
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk.get());
    return seen;
  }

  std::string bootstrap_, sasl_bootstrap_, sasl_ssl_bootstrap_, ssl_bootstrap_, ca_file_, topic_;
};

TEST_F(KafkaProtocolBrokerTest, DescribeAfterInitTransactionsOnAFreshId) {
  const std::string id = Unique("ec-proto-fresh");
  RdKafkaPtr producer = Producer(id);
  auto client = Client(Plaintext());
  ASSERT_NE(client, nullptr);
  auto txn = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(txn.ok()) << txn.status();
  Observe("describe after init_transactions on a fresh id", Text(*txn));
  Observe("versions picked (FindCoordinator, DescribeTransactions, EndTxn, SaslAuthenticate)",
          absl::StrCat(client->ApiVersionFor(10), ", ", client->ApiVersionFor(65), ", ",
                       client->ApiVersionFor(26), ", ", client->ApiVersionFor(36)));
  EXPECT_EQ(client->ApiVersionFor(26), 4);
  EXPECT_EQ(txn->state, "Empty");
  EXPECT_GE(txn->producer_id, 0);
}

TEST_F(KafkaProtocolBrokerTest, CommitsATransactionAnotherProducerLeftOpen) {
  const std::string id = Unique("ec-proto-commit");
  RdKafkaPtr producer = Producer(id);
  ProduceInTransaction(producer.get(), id, 5);
  auto client = Client(Plaintext());
  ASSERT_NE(client, nullptr);
  auto open = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(open.ok()) << open.status();
  Observe("describe of an open transaction", Text(*open));
  EXPECT_EQ(open->state, "Ongoing");
  EXPECT_GE(open->producer_id, 0);
  EXPECT_GE(open->producer_epoch, 0);
  EXPECT_GT(open->start_time_ms, 0);

  // Destroying the producer: does librdkafka abort the open transaction? (Wait a little in
  // case an abort it sent is still on its way.)
  const absl::Time destroy_start = absl::Now();
  producer.reset();
  Observe("rd_kafka_destroy with an open transaction took",
          absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - destroy_start), " ms"));
  absl::SleepFor(absl::Seconds(2));
  auto after_destroy = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(after_destroy.ok()) << after_destroy.status();
  Observe("describe after rd_kafka_destroy of the producer with the open transaction",
          Text(*after_destroy));

  absl::Status commit = client->EndTransaction(id, open->producer_id, open->producer_epoch,
                                               /*commit=*/true, In(absl::Seconds(30)));
  Observe("EndTxn commit of the open transaction", Text(commit));
  ASSERT_TRUE(commit.ok()) << commit;
  auto committed = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(committed.ok()) << committed.status();
  Observe("describe right after EndTxn commit", Text(*committed));
  EXPECT_TRUE(committed->state == "PrepareCommit" || committed->state == "CompleteCommit")
      << committed->state;
  EXPECT_EQ(ReadCommitted(id, 5, absl::Seconds(30)), 5);
  auto later = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(later.ok()) << later.status();
  Observe("describe after the records were read", Text(*later));
  EXPECT_EQ(later->state, "CompleteCommit");

  // Ending it again with the same producer id and epoch.
  absl::Status again = client->EndTransaction(id, open->producer_id, open->producer_epoch, true,
                                              In(absl::Seconds(30)));
  Observe("second EndTxn commit of the same (pid, epoch) after completion", Text(again));
  EXPECT_TRUE(again.ok()) << again;
  absl::Status abort = client->EndTransaction(id, open->producer_id, open->producer_epoch, false,
                                              In(absl::Seconds(30)));
  Observe("EndTxn abort of the same (pid, epoch) after the commit", Text(abort));
  EXPECT_EQ(KafkaErrorCodeOf(abort), kafka_error::kInvalidTxnState) << abort;
  EXPECT_EQ(abort.code(), absl::StatusCode::kFailedPrecondition);

  // Another producer fences the id: the old epoch is stale.
  RdKafkaPtr fencer = Producer(id);
  auto fenced = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(fenced.ok()) << fenced.status();
  Observe("describe after another producer's init_transactions on the id", Text(*fenced));
  absl::Status stale = client->EndTransaction(id, open->producer_id, open->producer_epoch, true,
                                              In(absl::Seconds(30)));
  Observe("EndTxn commit with the stale epoch after the fence", Text(stale));
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition) << stale;
  EXPECT_EQ(KafkaErrorCodeOf(stale), kafka_error::kProducerFenced) << stale;
}

TEST_F(KafkaProtocolBrokerTest, AbortsATransactionAnotherProducerLeftOpen) {
  const std::string id = Unique("ec-proto-abort");
  RdKafkaPtr producer = Producer(id);
  ProduceInTransaction(producer.get(), id, 3);
  auto client = Client(Plaintext());
  ASSERT_NE(client, nullptr);
  auto open = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(open.ok()) << open.status();
  absl::Status abort = client->EndTransaction(id, open->producer_id, open->producer_epoch, false,
                                              In(absl::Seconds(30)));
  ASSERT_TRUE(abort.ok()) << abort;
  auto aborted = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(aborted.ok()) << aborted.status();
  Observe("describe right after EndTxn abort", Text(*aborted));
  EXPECT_TRUE(aborted->state == "PrepareAbort" || aborted->state == "CompleteAbort");
  absl::Status commit = client->EndTransaction(id, open->producer_id, open->producer_epoch, true,
                                               In(absl::Seconds(30)));
  Observe("EndTxn commit of the same (pid, epoch) after the abort", Text(commit));
  EXPECT_EQ(KafkaErrorCodeOf(commit), kafka_error::kInvalidTxnState) << commit;
}

TEST_F(KafkaProtocolBrokerTest, TheBrokerAbortsATimedOutTransaction) {
  const std::string id = Unique("ec-proto-timeout");
  RdKafkaPtr producer = Producer(id, /*transaction_timeout_ms=*/2000);
  ProduceInTransaction(producer.get(), id, 2);
  auto client = Client(Plaintext());
  ASSERT_NE(client, nullptr);
  auto open = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(open.ok()) << open.status();
  Observe("timed-out test: describe of the open transaction", Text(*open));
  std::string last = open->state;
  TransactionDescription now = *open;
  const absl::Time start = absl::Now();
  while (absl::Now() < start + absl::Seconds(25)) {
    auto t = client->DescribeTransaction(id, In(absl::Seconds(20)));
    ASSERT_TRUE(t.ok()) << t.status();
    now = *t;
    if (now.state != last) {
      Observe(absl::StrCat("timed-out test: after ", absl::ToInt64Milliseconds(absl::Now() - start),
                           " ms"),
              Text(now));
      last = now.state;
    }
    if (now.state == "CompleteAbort") break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(now.state, "CompleteAbort");
  EXPECT_EQ(now.producer_id, open->producer_id);
  absl::Status commit = client->EndTransaction(id, open->producer_id, open->producer_epoch, true,
                                               In(absl::Seconds(30)));
  Observe("timed-out test: EndTxn commit with the original epoch after the broker's abort",
          Text(commit));
  EXPECT_FALSE(commit.ok());
}

TEST_F(KafkaProtocolBrokerTest, AnotherProducersInitTransactionsAbortsTheOpenTransaction) {
  const std::string id = Unique("ec-proto-fence");
  RdKafkaPtr producer = Producer(id);
  ProduceInTransaction(producer.get(), id, 2);
  auto client = Client(Plaintext());
  ASSERT_NE(client, nullptr);
  auto open = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(open.ok()) << open.status();
  Observe("fence test: describe of the open transaction", Text(*open));
  RdKafkaPtr fencer = Producer(id);
  auto fenced = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(fenced.ok()) << fenced.status();
  Observe("fence test: describe after another producer's init_transactions", Text(*fenced));
  EXPECT_EQ(fenced->producer_id, open->producer_id);
  EXPECT_GT(fenced->producer_epoch, open->producer_epoch);
  absl::Status commit = client->EndTransaction(id, open->producer_id, open->producer_epoch, true,
                                               In(absl::Seconds(30)));
  Observe("fence test: EndTxn commit with the epoch of the fenced transaction", Text(commit));
  EXPECT_EQ(KafkaErrorCodeOf(commit), kafka_error::kProducerFenced) << commit;
  EXPECT_EQ(ReadCommitted(id, 2, absl::Seconds(3)), 0);
}

TEST_F(KafkaProtocolBrokerTest, AnUnknownTransactionalIdIsNotFound) {
  auto client = Client(Plaintext());
  ASSERT_NE(client, nullptr);
  auto txn = client->DescribeTransaction(Unique("ec-proto-never-used"), In(absl::Seconds(20)));
  Observe("describe of an unknown transactional id", Text(txn.status()));
  EXPECT_EQ(txn.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(KafkaErrorCodeOf(txn.status()), kafka_error::kTransactionalIdNotFound);
}

TEST_F(KafkaProtocolBrokerTest, SaslPlainAsAliceDescribesATransaction) {
  if (sasl_bootstrap_.empty()) GTEST_SKIP() << "EC_TEST_KAFKA_SASL_BOOTSTRAP not set";
  const std::string id = Unique("ec-proto-sasl");
  RdKafkaPtr producer = Producer(id);
  auto client = Client(Sasl("PLAIN", "alice", "alice-secret"));
  ASSERT_NE(client, nullptr);
  auto txn = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(txn.ok()) << txn.status();
  EXPECT_EQ(txn->state, "Empty");
}

TEST_F(KafkaProtocolBrokerTest, AWrongPasswordIsAnAuthenticationErrorWithoutThePassword) {
  if (sasl_bootstrap_.empty()) GTEST_SKIP() << "EC_TEST_KAFKA_SASL_BOOTSTRAP not set";
  for (const char* mechanism : {"PLAIN", "SCRAM-SHA-256"}) {
    const std::string password = "not-alices-password-42";
    auto client =
        KafkaProtocolClient::Connect(Sasl(mechanism, "alice", password), In(absl::Seconds(20)));
    ASSERT_FALSE(client.ok());
    Observe(absl::StrCat("wrong password, ", mechanism), Text(client.status()));
    EXPECT_EQ(client.status().code(), absl::StatusCode::kUnauthenticated) << client.status();
    EXPECT_EQ(KafkaErrorCodeOf(client.status()), 58) << client.status();
    EXPECT_EQ(client.status().message().find(password), absl::string_view::npos);
    EXPECT_NE(client.status().message().find(sasl_bootstrap_), absl::string_view::npos);
  }
}

TEST_F(KafkaProtocolBrokerTest, ScramSha256AndSha512DescribeATransaction) {
  const std::string user = Env("EC_TEST_KAFKA_SCRAM_USER");
  const std::string password = Env("EC_TEST_KAFKA_SCRAM_PASSWORD");
  if (sasl_bootstrap_.empty() || user.empty()) GTEST_SKIP() << "EC_TEST_KAFKA_SCRAM_* not set";
  const std::string id = Unique("ec-proto-scram");
  RdKafkaPtr producer = Producer(id);
  ProduceInTransaction(producer.get(), id, 1);
  for (const char* mechanism : {"SCRAM-SHA-256", "SCRAM-SHA-512"}) {
    auto client = Client(Sasl(mechanism, user, password));
    ASSERT_NE(client, nullptr) << mechanism;
    auto txn = client->DescribeTransaction(id, In(absl::Seconds(20)));
    ASSERT_TRUE(txn.ok()) << mechanism << ": " << txn.status();
    EXPECT_EQ(txn->state, "Ongoing") << mechanism;
  }
  // Left open, the transaction would hold back read_committed readers of the topic (the later
  // tests') until it times out.
  auto client = Client(Plaintext());
  ASSERT_NE(client, nullptr);
  auto open = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_TRUE(client
                  ->EndTransaction(id, open->producer_id, open->producer_epoch, /*commit=*/false,
                                   In(absl::Seconds(30)))
                  .ok());
}

TEST_F(KafkaProtocolBrokerTest, SaslSslPlainAsAliceCommitsATransactionAnotherProducerLeftOpen) {
  if (sasl_ssl_bootstrap_.empty() || ca_file_.empty()) {
    GTEST_SKIP() << "EC_TEST_KAFKA_SASL_SSL_BOOTSTRAP / EC_TEST_KAFKA_CA_FILE not set";
  }
  const std::string id = Unique("ec-proto-sasl-ssl-plain");
  RdKafkaPtr producer = Producer(id);
  ProduceInTransaction(producer.get(), id, 3);
  auto client = Client(SaslSsl("PLAIN", "alice", "alice-secret", ca_file_));
  ASSERT_NE(client, nullptr);
  auto open = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(open.ok()) << open.status();
  Observe("SASL_SSL PLAIN: describe of an open transaction", Text(*open));
  EXPECT_EQ(open->state, "Ongoing");
  absl::Status commit = client->EndTransaction(id, open->producer_id, open->producer_epoch,
                                               /*commit=*/true, In(absl::Seconds(30)));
  ASSERT_TRUE(commit.ok()) << commit;
  EXPECT_EQ(ReadCommitted(id, 3, absl::Seconds(30)), 3);
  auto committed = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(committed->state, "CompleteCommit");
}

TEST_F(KafkaProtocolBrokerTest, SaslSslScramSha512AbortsATransactionAnotherProducerLeftOpen) {
  const std::string user = Env("EC_TEST_KAFKA_SCRAM_USER");
  const std::string password = Env("EC_TEST_KAFKA_SCRAM_PASSWORD");
  if (sasl_ssl_bootstrap_.empty() || ca_file_.empty() || user.empty()) {
    GTEST_SKIP() << "EC_TEST_KAFKA_SASL_SSL_BOOTSTRAP / CA_FILE / SCRAM_* not set";
  }
  const std::string id = Unique("ec-proto-sasl-ssl-scram");
  RdKafkaPtr producer = Producer(id);
  ProduceInTransaction(producer.get(), id, 2);
  auto client = Client(SaslSsl("SCRAM-SHA-512", user, password, ca_file_));
  ASSERT_NE(client, nullptr);
  auto open = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(open.ok()) << open.status();
  Observe("SASL_SSL SCRAM-SHA-512: describe of an open transaction", Text(*open));
  EXPECT_EQ(open->state, "Ongoing");
  absl::Status abort = client->EndTransaction(id, open->producer_id, open->producer_epoch,
                                              /*commit=*/false, In(absl::Seconds(30)));
  ASSERT_TRUE(abort.ok()) << abort;
  auto aborted = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(aborted.ok()) << aborted.status();
  EXPECT_TRUE(aborted->state == "PrepareAbort" || aborted->state == "CompleteAbort")
      << aborted->state;
  EXPECT_EQ(ReadCommitted(id, 2, absl::Seconds(3)), 0);
}

TEST_F(KafkaProtocolBrokerTest, SslWithoutSaslDescribesATransaction) {
  if (ssl_bootstrap_.empty() || ca_file_.empty()) {
    GTEST_SKIP() << "EC_TEST_KAFKA_SSL_BOOTSTRAP / EC_TEST_KAFKA_CA_FILE not set";
  }
  const std::string id = Unique("ec-proto-ssl");
  RdKafkaPtr producer = Producer(id);
  KafkaClientConfig config;
  config.bootstrap_servers = ssl_bootstrap_;
  config.security_protocol = "SSL";
  config.properties["ssl.ca.location"] = ca_file_;
  auto client = Client(config);
  ASSERT_NE(client, nullptr);
  auto txn = client->DescribeTransaction(id, In(absl::Seconds(20)));
  ASSERT_TRUE(txn.ok()) << txn.status();
  EXPECT_EQ(txn->state, "Empty");
}

TEST_F(KafkaProtocolBrokerTest, SaslSslRefusesABrokerTheGivenCaDidNotSign) {
  if (sasl_ssl_bootstrap_.empty()) GTEST_SKIP() << "EC_TEST_KAFKA_SASL_SSL_BOOTSTRAP not set";
  // The system's trust store (what an empty ssl.ca.location means) does not know the test CA.
  for (const char* ca : {"/etc/ssl/certs/ca-certificates.crt", ""}) {
    auto client = KafkaProtocolClient::Connect(SaslSsl("PLAIN", "alice", "alice-secret", ca),
                                               In(absl::Seconds(20)));
    ASSERT_FALSE(client.ok()) << "ca '" << ca << "'";
    Observe(absl::StrCat("SASL_SSL with ssl.ca.location '", ca, "'"), Text(client.status()));
    EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable) << client.status();
    EXPECT_NE(client.status().message().find("certificate verify failed"),
              absl::string_view::npos)
        << client.status();
    EXPECT_NE(client.status().message().find(sasl_ssl_bootstrap_), absl::string_view::npos);
  }
  auto missing = KafkaProtocolClient::Connect(
      SaslSsl("PLAIN", "alice", "alice-secret", "/nonexistent/ca.pem"), In(absl::Seconds(20)));
  ASSERT_FALSE(missing.ok());
  Observe("SASL_SSL with a missing ssl.ca.location file", Text(missing.status()));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument) << missing.status();
  EXPECT_NE(missing.status().message().find("/nonexistent/ca.pem"), absl::string_view::npos);
}

}  // namespace
}  // namespace ec
