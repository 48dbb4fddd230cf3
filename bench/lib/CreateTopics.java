// Creates benchmark topics (1 partition, or N with --partitions N; replication 1, LogAppendTime)
// in one JVM, deleting any existing topic of the same name first; with --delete, only deletes
// them. Run as a single-file program on the Kafka jars:
//   java -cp 'scripts/kafka/lib/*' bench/lib/CreateTopics.java BOOTSTRAP [--partitions N] [--delete] TOPIC...
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

public class CreateTopics {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
    int first = 1;
    int partitions = 1;
    if (args.length > 2 && args[1].equals("--partitions")) {
      partitions = Integer.parseInt(args[2]);
      first = 3;
    }
    boolean deleteOnly = args.length > first && args[first].equals("--delete");
    List<String> names = List.of(args).subList(deleteOnly ? first + 1 : first, args.length);
    try (Admin admin = Admin.create(props)) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<String> stale = new ArrayList<>(names);
      stale.retainAll(existing);
      if (!stale.isEmpty()) {
        admin.deleteTopics(stale).all().get(60, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (admin.listTopics().names().get().stream().anyMatch(stale::contains)) {
          if (System.nanoTime() > deadline) throw new IllegalStateException("topics not deleted: " + stale);
          Thread.sleep(100);
        }
      }
      if (deleteOnly) {
        System.out.println("deleted " + String.join(" ", stale));
        return;
      }
      List<NewTopic> topics = new ArrayList<>();
      for (String name : names) {
        topics.add(new NewTopic(name, partitions, (short) 1)
            .configs(Map.of("message.timestamp.type", "LogAppendTime")));
      }
      admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
    }
    System.out.println("created " + String.join(" ", names));
  }
}
