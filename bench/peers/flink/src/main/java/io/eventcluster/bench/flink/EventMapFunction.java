package io.eventcluster.bench.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * THE MAP, identical to EventCluster's: one JSON object per event with the fields, in order,
 * seq, timestamp, source, level, severity (level lower-cased, spaces as '_'), event_id, computer
 * (lower-cased), user, message, processed_at (wall clock, ISO 8601 UTC with milliseconds).
 */
final class EventMapFunction extends RichMapFunction<ObjectNode, String> {
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private transient ObjectMapper mapper;
  private transient long lastMillis;
  private transient String lastProcessedAt;

  @Override
  public void open(OpenContext context) {
    mapper = new ObjectMapper();
    lastMillis = Long.MIN_VALUE;
  }

  @Override
  public String map(ObjectNode in) throws Exception {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.set("seq", in.get("seq"));
    out.set("timestamp", in.get("timestamp"));
    out.set("source", in.get("source"));
    String level = in.get("level").asText();
    out.put("level", level);
    out.put("severity", level.toLowerCase(Locale.ROOT).replace(' ', '_'));
    out.set("event_id", in.get("event_id"));
    out.put("computer", in.get("computer").asText().toLowerCase(Locale.ROOT));
    out.set("user", in.get("user"));
    out.set("message", in.get("message"));
    out.put("processed_at", processedAt());
    return mapper.writeValueAsString(out);
  }

  private String processedAt() {
    long now = System.currentTimeMillis();
    if (now != lastMillis) {
      lastMillis = now;
      lastProcessedAt = ISO_MILLIS.format(Instant.ofEpochMilli(now));
    }
    return lastProcessedAt;
  }
}
