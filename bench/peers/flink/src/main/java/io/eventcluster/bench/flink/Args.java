package io.eventcluster.bench.flink;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --key value} program arguments, like Flink's ParameterTool. */
final class Args {
  private final Map<String, String> values;

  private Args(Map<String, String> values) {
    this.values = values;
  }

  static Args parse(String[] argv) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--") || a.length() == 2) {
        throw new IllegalArgumentException("expected --key value, got: " + a);
      }
      String key = a.substring(2);
      int eq = key.indexOf('=');
      if (eq >= 0) {
        values.put(key.substring(0, eq), key.substring(eq + 1));
      } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
        values.put(key, argv[++i]);
      } else {
        values.put(key, "true");
      }
    }
    return new Args(values);
  }

  String get(String key, String fallback) {
    String v = values.get(key);
    return v == null ? fallback : v;
  }

  String require(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return v;
  }

  int getInt(String key, int fallback) {
    String v = values.get(key);
    return v == null ? fallback : Integer.parseInt(v);
  }

  long getLong(String key, long fallback) {
    String v = values.get(key);
    return v == null ? fallback : Long.parseLong(v);
  }

  boolean getBoolean(String key, boolean fallback) {
    String v = values.get(key);
    return v == null ? fallback : Boolean.parseBoolean(v);
  }

  /** Every {@code --PREFIXname value}, keyed by name without the prefix. */
  Map<String, String> withPrefix(String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        out.put(e.getKey().substring(prefix.length()), e.getValue());
      }
    }
    return out;
  }
}
