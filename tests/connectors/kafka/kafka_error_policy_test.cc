// ClassifyKafkaError: the one rule the Kafka source and writer use to tell a fatal error from
// one librdkafka retries, and whose it is.
#include "connectors/kafka/kafka_error_policy.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

TEST(KafkaErrorPolicyTest, AuthenticationFailuresAreFatalAndTheUsers) {
  for (auto err :
       {RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED}) {
    EXPECT_TRUE(ClassifyKafkaError(err).fatal) << rd_kafka_err2name(err);
    EXPECT_EQ(ClassifyKafkaError(err).domain, proto::USER) << rd_kafka_err2name(err);
  }
}

TEST(KafkaErrorPolicyTest, AuthorizationFailuresAreFatalAndTheUsers) {
  for (auto err : {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                   RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
                   RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
                   RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED}) {
    EXPECT_TRUE(IsFatalKafkaError(err)) << rd_kafka_err2name(err);
    EXPECT_EQ(ClassifyKafkaError(err).domain, proto::USER) << rd_kafka_err2name(err);
  }
}

TEST(KafkaErrorPolicyTest, AFatalClientErrorIsFatal) {
  EXPECT_TRUE(IsFatalKafkaError(RD_KAFKA_RESP_ERR__FATAL));
  EXPECT_EQ(ClassifyKafkaError(RD_KAFKA_RESP_ERR__FATAL).domain, proto::EXTERNAL);
}

TEST(KafkaErrorPolicyTest, AMissingTopicIsTheUsersButWaitedFor) {
  for (auto err : {RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC}) {
    EXPECT_FALSE(IsFatalKafkaError(err)) << rd_kafka_err2name(err);
    EXPECT_EQ(ClassifyKafkaError(err).domain, proto::USER) << rd_kafka_err2name(err);
  }
}

TEST(KafkaErrorPolicyTest, BrokersDownAndTimeoutsAreRetryableAndExternal) {
  for (auto err : {RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT,
                   RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT,
                   RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR__QUEUE_FULL}) {
    EXPECT_FALSE(IsFatalKafkaError(err)) << rd_kafka_err2name(err);
    EXPECT_EQ(ClassifyKafkaError(err).domain, proto::EXTERNAL) << rd_kafka_err2name(err);
  }
}

TEST(KafkaErrorPolicyTest, CallbackErrorCarriesTheCodeReasonAndVerdict) {
  KafkaCallbackError down = ReadCallbackError(nullptr, RD_KAFKA_RESP_ERR__TRANSPORT, "refused");
  EXPECT_EQ(down.code, RD_KAFKA_RESP_ERR__TRANSPORT);
  EXPECT_EQ(down.reason, "refused");
  EXPECT_FALSE(down.fatal);
  KafkaCallbackError denied =
      ReadCallbackError(nullptr, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, "bad password");
  EXPECT_TRUE(denied.fatal);
  EXPECT_EQ(denied.reason, "bad password");
}

}  // namespace
}  // namespace ec
