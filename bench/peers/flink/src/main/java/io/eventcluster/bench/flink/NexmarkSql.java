package io.eventcluster.bench.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.checkpoint.FailedCheckpointStats;
import org.apache.flink.runtime.executiongraph.ArchivedExecutionGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

/**
 * Nexmark queries in Flink SQL (nexmark-flink's text, bench/nexmark/flink/) over a Kafka topic of
 * Nexmark events in JSON, read as a bounded stream, in a MiniCluster in this JVM.
 *
 * <p>{@code --bootstrap-servers HOST:PORT --source-topic T --query q1 [--sink-topic T2]
 * [--parallelism N] [--checkpoint-interval-ms MS] [--checkpoint-dir DIR] [--sql-dir DIR]}. Prints
 * one JSON line on stdout when the job has ended: query, records_in, records_out, seconds,
 * parallelism, checkpoints and their durations.
 */
public final class NexmarkSql {

  private NexmarkSql() {}

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z_]+)\\}");

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    String bootstrap = args.require("bootstrap-servers");
    String sourceTopic = args.require("source-topic");
    String query = args.require("query");
    if (!query.matches("q[0-9]+")) {
      throw new IllegalArgumentException("--query: expected qN, got " + query);
    }
    String sinkTopic = args.get("sink-topic", null);
    int parallelism = args.getInt("parallelism", 1);
    long checkpointMs = args.getLong("checkpoint-interval-ms", 10000);
    Path sqlDir = Paths.get(args.get("sql-dir", "bench/nexmark/flink"));
    String checkpointDir = args.get("checkpoint-dir", null);
    Path tempDir = null;
    if (checkpointDir == null) {
      tempDir = Files.createTempDirectory("nexmark-flink-");
      checkpointDir = tempDir.toUri().toString();
    } else if (!checkpointDir.contains("://")) {
      checkpointDir = Paths.get(checkpointDir).toAbsolutePath().toUri().toString();
    }

    // The placeholders of the SQL files.
    long now = System.currentTimeMillis();
    boolean exactlyOnce = sinkTopic != null && checkpointMs > 0;
    Map<String, String> vars = new HashMap<>();
    vars.put("TOPIC", sourceTopic);
    vars.put("BOOTSTRAP_SERVERS", bootstrap);
    vars.put("GROUP_ID", args.get("group-id", "nexmark-flink-" + query + "-" + now));
    vars.put("NEXMARK_TABLE", "kafka");
    if (sinkTopic != null) {
      vars.put("SINK_TOPIC", sinkTopic);
      vars.put("DELIVERY_GUARANTEE", exactlyOnce ? "exactly-once" : "at-least-once");
      vars.put(
          "TRANSACTIONAL_ID_PREFIX",
          args.get("transactional-id-prefix", "nexmark-" + query + "-" + sinkTopic + "-" + now));
    }
    String sinkOptions =
        String.join("\n",
            sqlFile(sqlDir.resolve(sinkTopic != null ? "sink_kafka.sql" : "sink_blackhole.sql"),
                vars));
    vars.put("SINK_OPTIONS", sinkOptions);

    List<String> setup = new ArrayList<>();
    setup.addAll(sqlFile(sqlDir.resolve("ddl_kafka.sql"), vars));
    setup.addAll(sqlFile(sqlDir.resolve("ddl_views.sql"), vars));
    List<String> queryStatements = sqlFile(sqlDir.resolve(query + ".sql"), vars);
    if (args.getBoolean("print-sql", false)) {
      for (String s : setup) {
        System.err.println(s + ";\n");
      }
      for (String s : queryStatements) {
        System.err.println(s + ";\n");
      }
    }

    // One configuration for the MiniCluster and the job: RocksDB with incremental checkpoints,
    // exactly-once checkpointing every --checkpoint-interval-ms (0: none).
    Map<String, String> conf = new HashMap<>();
    conf.put("parallelism.default", Integer.toString(parallelism));
    conf.put("state.backend.type", "rocksdb");
    conf.put("execution.checkpointing.incremental", "true");
    conf.put("execution.checkpointing.dir", checkpointDir);
    conf.put("execution.checkpointing.mode", "EXACTLY_ONCE");
    if (checkpointMs > 0) {
      conf.put("execution.checkpointing.interval", checkpointMs + " ms");
    }
    conf.put("rest.bind-port", args.get("rest-port", "0"));
    conf.put("metrics.reporter.nexmark.factory.class", NexmarkMetrics.Factory.class.getName());
    conf.put("pipeline.name", "nexmark-" + query);
    conf.put("execution.target", "nexmark-minicluster"); // our executor, see below
    for (Map.Entry<String, String> e : args.withPrefix("flink.").entrySet()) {
      conf.put(e.getKey(), e.getValue()); // --flink.KEY VALUE: any other Flink option
    }
    Configuration configuration = Configuration.fromMap(conf);
    configuration.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 10000);

    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(configuration)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .build());
    cluster.start();
    try {
      StreamExecutionEnvironment env =
          new StreamExecutionEnvironment(
              new MiniClusterExecutorLoader(cluster), configuration,
              NexmarkSql.class.getClassLoader());
      StreamTableEnvironment tableEnv =
          StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
      for (String s : setup) {
        tableEnv.executeSql(s);
      }
      TableResult result = null;
      long start = System.nanoTime();
      for (String s : queryStatements) {
        TableResult r = tableEnv.executeSql(s);
        if (r.getJobClient().isPresent()) {
          if (result != null) {
            throw new IllegalStateException(query + ".sql: more than one INSERT");
          }
          result = r;
        }
      }
      if (result == null) {
        throw new IllegalStateException(query + ".sql: no INSERT");
      }
      result.await();
      double seconds = (System.nanoTime() - start) / 1e9;
      JobID jobId = result.getJobClient().get().getJobID();
      ArchivedExecutionGraph graph = cluster.getArchivedExecutionGraph(jobId).get();
      System.out.println(summary(query, parallelism, seconds, graph));
      System.out.flush();
    } finally {
      cluster.close();
      if (tempDir != null) {
        deleteTree(tempDir);
      }
    }
  }

  /** The one summary line. */
  private static String summary(
      String query, int parallelism, double seconds, ArchivedExecutionGraph graph) {
    // Records read: what the Kafka source operator(s) emitted (one row per Kafka record; the
    // JSON format drops none unless a record fails to parse, which then fails the job).
    long recordsIn = NexmarkMetrics.sum("numRecordsOut", op -> op.startsWith("Source"));
    // Records written: what reached the sink writer ("nexmark_qN[k]: Writer", or the sink
    // operator of a sink without a committer).
    String sinkTable = "nexmark_" + query + "[";
    long recordsOut =
        NexmarkMetrics.sum(
            "numRecordsIn", op -> op.startsWith(sinkTable) && !op.endsWith("Committer"));
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "{\"query\":\"%s\",\"records_in\":%d,\"records_out\":%d,\"seconds\":%.3f,"
            + "\"parallelism\":%d,\"state\":\"%s\"",
        query, recordsIn, recordsOut, seconds, parallelism, graph.getState()));
    // From the job's switch to RUNNING to its end (no planning, no submission, no JVM start).
    long running = graph.getStatusTimestamp(JobStatus.RUNNING);
    long ended = graph.getStatusTimestamp(graph.getState());
    if (running > 0 && ended >= running) {
      sb.append(String.format(Locale.ROOT, ",\"job_seconds\":%.3f", (ended - running) / 1e3));
    }
    CheckpointStatsSnapshot stats = graph.getCheckpointStatsSnapshot();
    if (stats != null && stats.getCounts() != null) {
      List<Long> durations = new ArrayList<>();
      List<Long> sizes = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      List<AbstractCheckpointStats> history =
          new ArrayList<>(stats.getHistory().getCheckpoints());
      history.sort((a, b) -> Long.compare(a.getCheckpointId(), b.getCheckpointId()));
      for (AbstractCheckpointStats c : history) {
        if (c.getStatus() == CheckpointStatsStatus.COMPLETED) {
          durations.add(c.getEndToEndDuration());
          sizes.add(c.getCheckpointedSize());
        } else if (c instanceof FailedCheckpointStats) {
          String why = ((FailedCheckpointStats) c).getFailureMessage();
          failures.add(quote(why == null ? "?" : why));
        }
      }
      sb.append(String.format(Locale.ROOT,
          ",\"checkpoints_completed\":%d,\"checkpoints_failed\":%d,"
              + "\"checkpoint_durations_ms\":%s,\"checkpointed_bytes\":%s",
          stats.getCounts().getNumberOfCompletedCheckpoints(),
          stats.getCounts().getNumberOfFailedCheckpoints(), list(durations), list(sizes)));
      if (!failures.isEmpty()) {
        sb.append(",\"checkpoint_failures\":").append(list(failures));
      }
    }
    sb.append('}');
    return sb.toString();
  }

  /** A JSON string. */
  private static String quote(String text) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /** [a,b,c]: a list without the spaces of List.toString. */
  private static String list(List<?> items) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      sb.append(i > 0 ? "," : "").append(items.get(i));
    }
    return sb.append(']').toString();
  }

  /** A SQL file's statements (comments dropped), then its placeholders replaced. */
  static List<String> sqlFile(Path file, Map<String, String> vars) throws IOException {
    List<String> out = new ArrayList<>();
    for (String s : statements(read(file))) {
      out.add(substitute(s, vars));
    }
    return out;
  }

  static String read(Path file) throws IOException {
    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
  }

  /** ${NAME} replaced by vars' NAME; an unknown name is an error. */
  static String substitute(String text, Map<String, String> vars) {
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = vars.get(m.group(1));
      if (v == null) {
        throw new IllegalArgumentException("no value for ${" + m.group(1) + "}");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * The statements of a SQL file: split at ';' outside quotes, "--" comments dropped, empty
   * statements skipped.
   */
  static List<String> statements(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        cur.append(c);
        if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '`' || c == '"') {
        quote = c;
        cur.append(c);
      } else if (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') {
        while (i < text.length() && text.charAt(i) != '\n') {
          i++;
        }
        cur.append('\n');
      } else if (c == ';') {
        if (!cur.toString().isBlank()) {
          out.add(cur.toString().trim());
        }
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (!cur.toString().isBlank()) {
      out.add(cur.toString().trim());
    }
    return out;
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind
    }
  }

  /**
   * Submits the pipeline to our MiniCluster and leaves the cluster running when the job ends (the
   * local executor shuts its own per-job MiniCluster down at once, and with it the job's
   * archived execution graph: its checkpoint statistics).
   */
  private static final class MiniClusterExecutorLoader implements PipelineExecutorServiceLoader {
    private final MiniCluster cluster;

    MiniClusterExecutorLoader(MiniCluster cluster) {
      this.cluster = cluster;
    }

    @Override
    public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
      return new PipelineExecutorFactory() {
        @Override
        public String getName() {
          return "nexmark-minicluster";
        }

        @Override
        public boolean isCompatibleWith(Configuration c) {
          return true;
        }

        @Override
        public PipelineExecutor getExecutor(Configuration c) {
          return MiniClusterExecutorLoader.this::execute;
        }
      };
    }

    @Override
    public Stream<String> getExecutorNames() {
      return Stream.of("nexmark-minicluster");
    }

    private CompletableFuture<JobClient> execute(
        Pipeline pipeline, Configuration configuration, ClassLoader classLoader) throws Exception {
      StreamGraph graph = PipelineExecutorUtils.getStreamGraph(pipeline, configuration);
      return cluster
          .submitJob(graph)
          .thenApply(
              submitted ->
                  new MiniClusterJobClient(
                      submitted.getJobID(), cluster, classLoader,
                      MiniClusterJobClient.JobFinalizationBehavior.NOTHING));
    }
  }
}
