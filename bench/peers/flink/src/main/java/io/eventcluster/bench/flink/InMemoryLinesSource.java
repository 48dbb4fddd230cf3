package io.eventcluster.bench.flink;

import com.sun.management.OperatingSystemMXBean;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.streaming.api.functions.source.legacy.RichSourceFunction;

/**
 * For the chain benchmark: reads an NDJSON file into memory once (in chunks of whole lines),
 * then emits its lines {@code repeat} times, decoding each from the in-memory bytes as a socket
 * source decodes its buffer.
 * Source, parse, map and sink are chained in this thread, so the time of the emit loop is the
 * time of the whole chain; it is reported through accumulators (wall and CPU nanoseconds).
 */
final class InMemoryLinesSource extends RichSourceFunction<String> {
  static final String EVENTS = "chain.events";
  static final String NANOS = "chain.nanos";
  static final String PROCESS_CPU_NANOS = "chain.process_cpu_nanos";
  static final String THREAD_CPU_NANOS = "chain.thread_cpu_nanos";
  /** The file is held in chunks of about this many bytes, each ending with a whole line. */
  private static final int CHUNK = 16 << 20;

  private final String path;
  private final int repeat;
  private volatile boolean running = true;

  InMemoryLinesSource(String path, int repeat) {
    this.path = path;
    this.repeat = repeat;
  }

  @Override
  public void run(SourceContext<String> ctx) throws Exception {
    List<byte[]> chunks = new ArrayList<>();
    List<int[]> bounds = new ArrayList<>(); // per chunk: start0, end0, start1, end1, ...
    try (InputStream in = Files.newInputStream(Paths.get(path))) {
      byte[] carry = new byte[0];
      while (true) {
        byte[] buf = new byte[Math.max(CHUNK, carry.length * 2)];
        System.arraycopy(carry, 0, buf, 0, carry.length);
        int len = carry.length;
        int r;
        while (len < buf.length && (r = in.read(buf, len, buf.length - len)) > 0) {
          len += r;
        }
        boolean eof = len < buf.length;
        int cut = len;
        if (!eof) {
          while (cut > 0 && buf[cut - 1] != '\n') {
            cut--;
          }
          if (cut == 0) { // a line longer than the buffer: grow and read on
            carry = Arrays.copyOf(buf, len);
            continue;
          }
        }
        addLines(buf, cut, chunks, bounds);
        carry = Arrays.copyOfRange(buf, cut, len);
        if (eof) {
          break;
        }
      }
    }

    OperatingSystemMXBean os =
        (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long events = 0;
    long cpu0 = os.getProcessCpuTime();
    long thread0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    Object lock = ctx.getCheckpointLock();
    for (int r = 0; r < repeat && running; r++) {
      for (int c = 0; c < chunks.size() && running; c++) {
        byte[] data = chunks.get(c);
        int[] b = bounds.get(c);
        for (int i = 0; i < b.length && running; i += 2) {
          String line = new String(data, b[i], b[i + 1] - b[i], StandardCharsets.UTF_8);
          synchronized (lock) {
            ctx.collect(line);
          }
          events++;
        }
      }
    }
    long t1 = System.nanoTime();
    long thread1 = threads.getCurrentThreadCpuTime();
    long cpu1 = os.getProcessCpuTime();

    add(EVENTS, events);
    add(NANOS, t1 - t0);
    add(PROCESS_CPU_NANOS, cpu1 - cpu0);
    add(THREAD_CPU_NANOS, thread1 - thread0);
  }

  /** Adds the non-empty lines of data[0, len) (without their '\r\n' or '\n') as one chunk. */
  private static void addLines(byte[] data, int len, List<byte[]> chunks, List<int[]> bounds) {
    int[] b = new int[256];
    int k = 0;
    int start = 0;
    for (int i = 0; i <= len; i++) {
      if (i == len || data[i] == '\n') {
        int end = i;
        if (end > start && data[end - 1] == '\r') {
          end--;
        }
        if (end > start) {
          if (k + 2 > b.length) {
            b = Arrays.copyOf(b, b.length * 2);
          }
          b[k++] = start;
          b[k++] = end;
        }
        start = i + 1;
      }
    }
    chunks.add(len == data.length ? data : Arrays.copyOf(data, len));
    bounds.add(Arrays.copyOf(b, k));
  }

  private void add(String name, long value) {
    LongCounter c = new LongCounter();
    c.add(value);
    getRuntimeContext().addAccumulator(name, c);
  }

  @Override
  public void cancel() {
    running = false;
  }
}
