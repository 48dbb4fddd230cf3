package io.eventcluster.bench.flink;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The original system's Flink job, as the benchmark's peer of EventCluster.
 *
 * <p>Default mode ("socket"): socketTextStream(hostname, port) -> Jackson parse -> map -> KafkaSink
 * (at-least-once; {@code --delivery-guarantee exactly-once --checkpoint-interval-ms MS} for its
 * two-phase commit), in a local MiniCluster with parallelism 1. Arguments as the original program:
 * {@code --hostname --port --kafka-bootstrap-servers --kafka-topic --kafka-security-protocol}.
 *
 * <p>Mode "chain": {@code --mode chain --input FILE [--repeat K]} runs parse -> map -> discarding
 * sink over an in-memory copy of an NDJSON file and prints one JSON line
 * {@code {"events": N, "seconds": S, "events_per_s": X, "cpu_seconds": C, ...}}, the format of
 * EventCluster's ec-bench-chain.
 */
public final class DataConsumerFlink {

  private DataConsumerFlink() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    String mode = args.get("mode", "socket");
    switch (mode) {
      case "socket":
        runSocketJob(args);
        break;
      case "chain":
        runChain(args);
        break;
      default:
        throw new IllegalArgumentException("--mode: expected socket or chain, got " + mode);
    }
  }

  private static StreamExecutionEnvironment localEnvironment(Args args) {
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_PORT, args.get("rest-port", "0"));
    // --taskmanagers N runs N TaskManagers in the MiniCluster (still one JVM; records between
    // TaskManagers go through Flink's Netty data plane over loopback TCP), each with
    // --slots-per-taskmanager slots (default: enough for the widest operator on one).
    int taskManagers = args.getInt("taskmanagers", 1);
    if (taskManagers > 1) {
      conf.set(TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS, taskManagers);
    }
    if (args.get("slots-per-taskmanager", null) != null) {
      conf.set(TaskManagerOptions.NUM_TASK_SLOTS, args.getInt("slots-per-taskmanager", 1));
    }
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(args.getInt("parallelism", 1), conf);
    // Safe here (no function keeps a reference to a record) and what a tuned Flink job does;
    // --object-reuse false runs the original configuration (a Kryo copy of every JsonNode).
    if (args.getBoolean("object-reuse", true)) {
      env.getConfig().enableObjectReuse();
    }
    long checkpointMs = args.getLong("checkpoint-interval-ms", 0);
    if (checkpointMs > 0) {
      env.enableCheckpointing(checkpointMs);
    }
    return env;
  }

  private static DataStream<String> parseAndMap(DataStream<String> lines) {
    return lines
        .flatMap(new JsonParserFunction())
        .returns(TypeInformation.of(ObjectNode.class))
        .name("JSON parse")
        .map(new EventMapFunction())
        .returns(String.class)
        .name("map");
  }

  private static void runSocketJob(Args args) throws Exception {
    String hostname = args.get("hostname", "localhost");
    int port = args.getInt("port", 9999);
    String bootstrap = args.get("kafka-bootstrap-servers", "localhost:9092");
    String topic = args.get("kafka-topic", "events_processed");
    String protocol = args.get("kafka-security-protocol", "PLAINTEXT");
    long maxRetry = args.getLong("max-retry", 0);

    Properties producerConfig = new Properties();
    producerConfig.setProperty("security.protocol", protocol);
    if (protocol.startsWith("SASL")) {
      String mechanism = args.get("kafka-sasl-mechanism", "PLAIN");
      String user = args.get("kafka-sasl-username", "alice");
      String password = args.get("kafka-sasl-password", System.getenv("EC_KAFKA_SASL_PASSWORD"));
      producerConfig.setProperty("sasl.mechanism", mechanism);
      producerConfig.setProperty(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
              + user + "\" password=\"" + (password == null ? "" : password) + "\";");
    }
    // --delivery-guarantee exactly-once: KafkaSink's two-phase commit (a transaction per
    // checkpoint, committed when the checkpoint completes); needs --checkpoint-interval-ms. Its
    // default transaction timeout (1 h) is above the broker's maximum (15 min), so a shorter one.
    DeliveryGuarantee guarantee = parseGuarantee(args.get("delivery-guarantee", "at-least-once"));
    if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      if (args.getLong("checkpoint-interval-ms", 0) <= 0) {
        throw new IllegalArgumentException(
            "--delivery-guarantee exactly-once needs --checkpoint-interval-ms > 0");
      }
      producerConfig.setProperty("transaction.timeout.ms", "600000");
    }
    for (Map.Entry<String, String> e : args.withPrefix("kafka.").entrySet()) {
      producerConfig.setProperty(e.getKey(), e.getValue());
    }

    StreamExecutionEnvironment env = localEnvironment(args);
    DataStream<String> lines =
        env.socketTextStream(hostname, port, "\n", maxRetry).name("socket source");
    KafkaSinkBuilder<String> sinkBuilder =
        KafkaSink.<String>builder()
            .setBootstrapServers(bootstrap)
            .setKafkaProducerConfig(producerConfig)
            .setRecordSerializer(
                KafkaRecordSerializationSchema.builder()
                    .setTopic(topic)
                    .setValueSerializationSchema(new SimpleStringSchema())
                    .build())
            .setDeliveryGuarantee(guarantee);
    if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
      sinkBuilder.setTransactionalIdPrefix(args.get("transactional-id-prefix", "flink-" + topic));
    }
    KafkaSink<String> sink = sinkBuilder.build();
    DataStream<String> mapped = parseAndMap(lines);
    // --key-by computer: a hash exchange on the output record's (lower-cased) computer between
    // the map chain and the sink, as EventCluster's "key-by" on its kafka-sink.
    String keyBy = args.get("key-by", null);
    if (keyBy != null) {
      mapped = mapped.keyBy(new JsonFieldKey(keyBy), TypeInformation.of(String.class));
    }
    int sinkParallelism = args.getInt("sink-parallelism", 0);
    if (sinkParallelism > 0) {
      mapped.sinkTo(sink).name("Kafka sink").setParallelism(sinkParallelism);
    } else {
      mapped.sinkTo(sink).name("Kafka sink");
    }
    env.execute("DataConsumerFlink");
  }

  private static DeliveryGuarantee parseGuarantee(String text) {
    switch (text) {
      case "at-least-once":
        return DeliveryGuarantee.AT_LEAST_ONCE;
      case "exactly-once":
        return DeliveryGuarantee.EXACTLY_ONCE;
      case "none":
        return DeliveryGuarantee.NONE;
      default:
        throw new IllegalArgumentException(
            "--delivery-guarantee: expected at-least-once, exactly-once or none, got " + text);
    }
  }

  private static void runChain(Args args) throws Exception {
    String input = args.require("input");
    int repeat = args.getInt("repeat", 1);
    StreamExecutionEnvironment env = localEnvironment(args);
    DataStream<String> lines =
        env.addSource(new InMemoryLinesSource(input, repeat), "in-memory lines",
            TypeInformation.of(String.class));
    parseAndMap(lines).sinkTo(new DiscardingSink<>()).name("discard");
    JobExecutionResult result = env.execute("DataConsumerFlink chain");

    long events = result.<Long>getAccumulatorResult(InMemoryLinesSource.EVENTS);
    long nanos = result.<Long>getAccumulatorResult(InMemoryLinesSource.NANOS);
    long processCpuNanos = result.<Long>getAccumulatorResult(InMemoryLinesSource.PROCESS_CPU_NANOS);
    long threadCpuNanos = result.<Long>getAccumulatorResult(InMemoryLinesSource.THREAD_CPU_NANOS);
    Long invalid = result.<Long>getAccumulatorResult(JsonParserFunction.INVALID);
    double seconds = nanos / 1e9;
    double cpuSeconds = processCpuNanos / 1e9;
    System.out.printf(
        java.util.Locale.ROOT,
        "{\"events\": %d, \"seconds\": %.6f, \"events_per_s\": %.1f, \"cpu_seconds\": %.6f, "
            + "\"thread_cpu_seconds\": %.6f, \"events_per_cpu_s\": %.1f, \"invalid\": %d}%n",
        events, seconds, events / seconds, cpuSeconds, threadCpuNanos / 1e9,
        cpuSeconds > 0 ? events / cpuSeconds : 0.0, invalid == null ? 0 : invalid);
  }
}
