package io.eventcluster.bench.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses one NDJSON line with Jackson (ObjectMapper.readTree) and checks it is an event. A line
 * that is not valid JSON or lacks a field would go to the dead-letter topic; the benchmark feeds
 * only valid events, so here it is counted (metric "invalidEvents", accumulator "invalid") and
 * dropped.
 */
final class JsonParserFunction extends RichFlatMapFunction<String, ObjectNode> {
  static final String INVALID = "invalid";
  private static final Logger LOG = LoggerFactory.getLogger(JsonParserFunction.class);
  private static final String[] STRING_FIELDS = {
    "timestamp", "source", "level", "computer", "user", "message"
  };
  private static final String[] NUMBER_FIELDS = {"seq", "event_id"};

  private transient ObjectMapper mapper;
  private transient Counter invalidMetric;
  private transient LongCounter invalidAccumulator;

  @Override
  public void open(OpenContext context) {
    mapper = new ObjectMapper();
    invalidMetric = getRuntimeContext().getMetricGroup().counter("invalidEvents");
    invalidAccumulator = getRuntimeContext().getLongCounter(INVALID);
  }

  @Override
  public void flatMap(String line, Collector<ObjectNode> out) {
    JsonNode node;
    try {
      node = mapper.readTree(line);
    } catch (Exception e) {
      reject(line, "not valid JSON");
      return;
    }
    if (node == null || !node.isObject()) {
      reject(line, "not a JSON object");
      return;
    }
    for (String f : NUMBER_FIELDS) {
      JsonNode v = node.get(f);
      if (v == null || !v.isIntegralNumber()) {
        reject(line, "field " + f + " missing or not an integer");
        return;
      }
    }
    for (String f : STRING_FIELDS) {
      JsonNode v = node.get(f);
      if (v == null || !v.isTextual()) {
        reject(line, "field " + f + " missing or not a string");
        return;
      }
    }
    out.collect((ObjectNode) node);
  }

  private void reject(String line, String reason) {
    invalidMetric.inc();
    invalidAccumulator.add(1);
    if (invalidMetric.getCount() <= 10) {
      LOG.warn("dropping invalid event ({}): {}", reason,
          line.length() > 200 ? line.substring(0, 200) + "..." : line);
    }
  }
}
