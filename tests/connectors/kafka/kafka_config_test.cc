// ResolveKafkaConfig (operator field over job parameter, environment fallback for the password,
// kafka.<property> pass-through), Describe() and ToRdKafkaConf() never revealing the password.
#include "connectors/kafka/kafka_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace ec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "s3cr3t-Pa55";
constexpr char kEnvPassword[] = "env-Pa55w0rd";

// Restores EC_KAFKA_SASL_PASSWORD after each test.
class KafkaConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("EC_KAFKA_SASL_PASSWORD")) saved_ = v;
    unsetenv("EC_KAFKA_SASL_PASSWORD");
  }
  void TearDown() override {
    if (saved_) {
      setenv("EC_KAFKA_SASL_PASSWORD", saved_->c_str(), 1);
    } else {
      unsetenv("EC_KAFKA_SASL_PASSWORD");
    }
  }

  // A job whose sink has `sink_fields` and whose parameters are `parameters`.
  static JobSpec Job(const std::string& sink_fields,
                     const std::map<std::string, std::string>& parameters) {
    auto spec = ParseJobSpec(R"({"name": "j", "pipeline": [{"type": "socket-source"},
        {"name": "sink", "type": "kafka-sink")" +
                                 (sink_fields.empty() ? "" : ", " + sink_fields) + "}]}",
                             parameters);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return *spec;
  }

  static KafkaClientConfig Resolve(const JobSpec& job) {
    auto config = ResolveKafkaConfig(job, job.pipeline[1]);
    EXPECT_TRUE(config.ok()) << config.status();
    return config.ok() ? *config : KafkaClientConfig{};
  }

  std::optional<std::string> saved_;
};

TEST_F(KafkaConfigTest, BootstrapServersAreRequiredAndTheErrorNamesTheOperator) {
  auto config = ResolveKafkaConfig(Job("", {}), Job("", {}).pipeline[1]);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("operator 'sink': kafka-bootstrap-servers"));
}

TEST_F(KafkaConfigTest, DefaultsArePlaintextAndPlain) {
  KafkaClientConfig config = Resolve(Job("", {{"kafka-bootstrap-servers", "b:9092"}}));
  EXPECT_EQ(config.bootstrap_servers, "b:9092");
  EXPECT_EQ(config.security_protocol, "PLAINTEXT");
  EXPECT_EQ(config.sasl_mechanism, "PLAIN");
  EXPECT_EQ(config.sasl_username, "");
  EXPECT_EQ(config.sasl_password, "");
  EXPECT_TRUE(config.properties.empty());
}

TEST_F(KafkaConfigTest, JobParametersApplyToTheOperator) {
  KafkaClientConfig config = Resolve(Job("", {{"kafka-bootstrap-servers", "b:9092"},
                                              {"kafka-security-protocol", "SASL_PLAINTEXT"},
                                              {"kafka-sasl-mechanism", "SCRAM-SHA-256"},
                                              {"kafka-sasl-username", "alice"},
                                              {"kafka-sasl-password", kPassword}}));
  EXPECT_EQ(config.security_protocol, "SASL_PLAINTEXT");
  EXPECT_EQ(config.sasl_mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(config.sasl_username, "alice");
  EXPECT_EQ(config.sasl_password, kPassword);
}

TEST_F(KafkaConfigTest, OperatorFieldBeatsJobParameter) {
  KafkaClientConfig config =
      Resolve(Job(R"("kafka-bootstrap-servers": "op:1", "kafka-sasl-username": "bob")",
                  {{"kafka-bootstrap-servers", "job:2"}, {"kafka-sasl-username", "alice"}}));
  EXPECT_EQ(config.bootstrap_servers, "op:1");
  EXPECT_EQ(config.sasl_username, "bob");
}

TEST_F(KafkaConfigTest, PasswordFallsBackToTheEnvironment) {
  setenv("EC_KAFKA_SASL_PASSWORD", kEnvPassword, 1);
  KafkaClientConfig config = Resolve(Job("", {{"kafka-bootstrap-servers", "b:9092"}}));
  EXPECT_EQ(config.sasl_password, kEnvPassword);
}

TEST_F(KafkaConfigTest, EmptyPasswordParameterFallsBackToTheEnvironment) {
  // examples/job.json declares "kafka-sasl-password": "" as a default.
  setenv("EC_KAFKA_SASL_PASSWORD", kEnvPassword, 1);
  KafkaClientConfig config =
      Resolve(Job("", {{"kafka-bootstrap-servers", "b:9092"}, {"kafka-sasl-password", ""}}));
  EXPECT_EQ(config.sasl_password, kEnvPassword);
}

TEST_F(KafkaConfigTest, GivenPasswordBeatsTheEnvironment) {
  setenv("EC_KAFKA_SASL_PASSWORD", kEnvPassword, 1);
  KafkaClientConfig config =
      Resolve(Job("", {{"kafka-bootstrap-servers", "b:9092"}, {"kafka-sasl-password", kPassword}}));
  EXPECT_EQ(config.sasl_password, kPassword);
}

TEST_F(KafkaConfigTest, KafkaPrefixedSettingsPassThroughWithOperatorWinning) {
  KafkaClientConfig config = Resolve(
      Job(R"("kafka.linger.ms": 5, "kafka.acks": "1")", {{"kafka-bootstrap-servers", "b:9092"},
                                                         {"kafka.linger.ms", "50"},
                                                         {"kafka.client.id", "ec"}}));
  EXPECT_EQ(config.properties, (std::map<std::string, std::string>{
                                   {"linger.ms", "5"}, {"acks", "1"}, {"client.id", "ec"}}));
}

TEST_F(KafkaConfigTest, DescribeShowsServerProtocolAndUserButNeverThePassword) {
  KafkaClientConfig config;
  config.bootstrap_servers = "127.0.0.1:9094";
  config.security_protocol = "SASL_PLAINTEXT";
  config.sasl_username = "alice";
  config.sasl_password = kPassword;
  EXPECT_EQ(config.Describe(), "127.0.0.1:9094 (SASL_PLAINTEXT, PLAIN user 'alice')");
  EXPECT_THAT(config.Describe(), Not(HasSubstr(kPassword)));
}

TEST_F(KafkaConfigTest, DescribeOfPlaintextOmitsSaslDetails) {
  KafkaClientConfig config;
  config.bootstrap_servers = "b:9092";
  config.sasl_username = "alice";
  EXPECT_EQ(config.Describe(), "b:9092 (PLAINTEXT)");
}

TEST_F(KafkaConfigTest, ToRdKafkaConfAppliesTheSettings) {
  KafkaClientConfig config;
  config.bootstrap_servers = "b:9092";
  config.security_protocol = "SASL_PLAINTEXT";
  config.sasl_mechanism = "SCRAM-SHA-512";
  config.sasl_username = "alice";
  config.sasl_password = kPassword;
  config.properties = {{"client.id", "ec-test"}};
  auto conf = config.ToRdKafkaConf();
  ASSERT_TRUE(conf.ok()) << conf.status();
  auto get = [&](const char* name) {
    char value[512];
    size_t size = sizeof(value);
    EXPECT_EQ(rd_kafka_conf_get(conf->get(), name, value, &size), RD_KAFKA_CONF_OK) << name;
    return std::string(value);
  };
  EXPECT_EQ(get("bootstrap.servers"), "b:9092");
  EXPECT_EQ(get("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(get("sasl.username"), "alice");
  EXPECT_EQ(get("client.id"), "ec-test");
}

TEST_F(KafkaConfigTest, LowerCaseSaslProtocolStillAppliesTheCredentials) {
  // librdkafka accepts "sasl_plaintext" as well; the credentials must not be silently dropped.
  KafkaClientConfig config;
  config.bootstrap_servers = "b:9092";
  config.security_protocol = "sasl_plaintext";
  config.sasl_username = "alice";
  config.sasl_password = kPassword;
  auto conf = config.ToRdKafkaConf();
  ASSERT_TRUE(conf.ok()) << conf.status();
  char value[512];
  size_t size = sizeof(value);
  ASSERT_EQ(rd_kafka_conf_get(conf->get(), "sasl.username", value, &size), RD_KAFKA_CONF_OK);
  EXPECT_EQ(std::string(value), "alice");
  EXPECT_EQ(config.Describe(), "b:9092 (sasl_plaintext, PLAIN user 'alice')");
}

TEST_F(KafkaConfigTest, BadPropertyErrorNamesPropertyAndValue) {
  KafkaClientConfig config;
  config.bootstrap_servers = "b:9092";
  config.properties = {{"linger.ms", "soon"}};
  auto conf = config.ToRdKafkaConf();
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(conf.status().message()), HasSubstr("kafka property linger.ms='soon'"));
}

TEST_F(KafkaConfigTest, BadPropertyErrorNeverContainsThePassword) {
  KafkaClientConfig config;
  config.bootstrap_servers = "b:9092";
  config.security_protocol = "SASL_SSL";
  config.sasl_username = "alice";
  config.sasl_password = kPassword;
  config.properties = {{"no.such.property", "x"}};
  auto conf = config.ToRdKafkaConf();
  ASSERT_FALSE(conf.ok());
  EXPECT_THAT(std::string(conf.status().message()), HasSubstr("no.such.property"));
  EXPECT_THAT(std::string(conf.status().message()), Not(HasSubstr(kPassword)));
}

TEST_F(KafkaConfigTest, BadSecretPropertyErrorOmitsItsValue) {
  KafkaClientConfig config;
  config.bootstrap_servers = "b:9092";
  config.properties = {{"custom.password", kPassword}};
  auto conf = config.ToRdKafkaConf();
  ASSERT_FALSE(conf.ok());
  EXPECT_THAT(std::string(conf.status().message()), HasSubstr("custom.password"));
  EXPECT_THAT(std::string(conf.status().message()), Not(HasSubstr(kPassword)));
}

TEST_F(KafkaConfigTest, SetRdKafkaPropertyHidesSecretValues) {
  RdKafkaConfPtr conf(rd_kafka_conf_new());
  absl::Status shown = SetRdKafkaProperty(conf.get(), "security.protocol", "bogus-proto");
  EXPECT_THAT(std::string(shown.message()), HasSubstr("bogus-proto"));
  absl::Status hidden =
      SetRdKafkaProperty(conf.get(), "security.protocol", "bogus-proto", /*secret=*/true);
  ASSERT_FALSE(hidden.ok());
  EXPECT_THAT(std::string(hidden.message()), HasSubstr("kafka property security.protocol"));
  EXPECT_THAT(std::string(hidden.message()), Not(HasSubstr("bogus-proto")));
}

TEST_F(KafkaConfigTest, TopicIsTheOperatorsFieldElseTheJobsKafkaTopic) {
  const JobSpec own = Job(R"("topic": "mine")", {{"kafka-topic", "jobs"}});
  EXPECT_EQ(*KafkaTopicOf(ConfigFields(own, own.pipeline[1], "pipeline[1]")), "mine");
  const JobSpec fallback = Job("", {{"kafka-topic", "jobs"}});
  EXPECT_EQ(*KafkaTopicOf(ConfigFields(fallback, fallback.pipeline[1], "pipeline[1]")), "jobs");
}

TEST_F(KafkaConfigTest, MissingTopicNamesTheTopicField) {
  const JobSpec job = Job("", {});
  auto topic = KafkaTopicOf(ConfigFields(job, job.pipeline[1], "pipeline[1]"));
  ASSERT_FALSE(topic.ok());
  EXPECT_THAT(std::string(topic.status().message()), testing::HasSubstr("pipeline[1].topic"));
}

}  // namespace
}  // namespace ec
