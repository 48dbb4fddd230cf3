package io.eventcluster.bench.flink;

import org.apache.flink.api.java.functions.KeySelector;

/**
 * The key of {@code --key-by FIELD}: the string value of a top-level field of the map's output
 * (a JSON object as text), found by scanning for {@code "FIELD":"} rather than parsing the record
 * again. The map writes every field it outputs, so the field is always there; a record without
 * it (or with a non-string value) gets the empty key.
 */
final class JsonFieldKey implements KeySelector<String, String> {
  private static final long serialVersionUID = 1L;
  private final String needle;

  JsonFieldKey(String field) {
    this.needle = "\"" + field + "\":\"";
  }

  @Override
  public String getKey(String record) {
    int start = record.indexOf(needle);
    if (start < 0) {
      return "";
    }
    start += needle.length();
    int end = start;
    while (end < record.length()) {
      char c = record.charAt(end);
      if (c == '\\') {
        end += 2;
        continue;
      }
      if (c == '"') {
        break;
      }
      end++;
    }
    return record.substring(start, Math.min(end, record.length()));
  }
}
