package io.eventcluster.bench.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A metric reporter that keeps, in this JVM, every operator's {@code numRecordsIn} and
 * {@code numRecordsOut} counter, so that {@link NexmarkSql} can read the totals once the job has
 * ended (the counters are plain objects and keep their last value after their group is closed).
 * Registered with {@code metrics.reporter.nexmark.factory.class} and found through
 * META-INF/services (how Flink looks reporter factories up).
 */
public final class NexmarkMetrics implements MetricReporter {

  /** One operator subtask's counter. */
  static final class OperatorCounter {
    final String operator;
    final String task;
    final String name;
    final Counter counter;

    OperatorCounter(String operator, String task, String name, Counter counter) {
      this.operator = operator;
      this.task = task;
      this.name = name;
      this.counter = counter;
    }
  }

  private static final List<OperatorCounter> COUNTERS = new ArrayList<>();

  /** Every operator counter registered so far (a copy). */
  static synchronized List<OperatorCounter> counters() {
    return new ArrayList<>(COUNTERS);
  }

  /**
   * The sum over subtasks of counter NAME of the operators whose name passes the test (operator
   * names as the planner gives them, e.g. "Source: kafka[1]", "nexmark_q1[3]: Writer").
   */
  static long sum(String name, java.util.function.Predicate<String> operator) {
    long total = 0;
    for (OperatorCounter c : counters()) {
      if (c.name.equals(name) && operator.test(c.operator)) {
        total += c.counter.getCount();
      }
    }
    return total;
  }

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
    if (!(metric instanceof Counter)
        || !("numRecordsIn".equals(metricName) || "numRecordsOut".equals(metricName))) {
      return;
    }
    Map<String, String> vars = group.getAllVariables();
    String operator = vars.get("<operator_name>");
    if (operator == null) {
      return; // a task's or a job's counter, not an operator's
    }
    synchronized (NexmarkMetrics.class) {
      COUNTERS.add(
          new OperatorCounter(operator, vars.get("<task_name>"), metricName, (Counter) metric));
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {}

  /** The factory named in the configuration. */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new NexmarkMetrics();
    }
  }
}
