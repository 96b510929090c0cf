package bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The bench's Kafka Streams peer: the product's stream topology (stream/processors) on
 * Kafka Streams, the engine under ksqlDB, with exactly_once_v2.
 *
 * <ul>
 *   <li>customers CDC rows (flat Debezium rows or envelopes) rekeyed by id, KSQL-style
 *       upper-case columns, into the rekeyed topic (a delete becomes a tombstone);
 *   <li>that topic read as a GlobalKTable (in-memory store), as the product reads the table to
 *       its end before the first join;
 *   <li>ratings joined with it (inner: unknown and anonymous customers are dropped) into the
 *       enriched topic, key = user id, the product's columns in the product's order;
 *   <li>complaints (stars &lt; 3, platinum) from the same join into theirs, key = rating id,
 *       the same value, in the same transaction (one sub-topology).
 * </ul>
 *
 * Arguments, all {@code --name=value}: bootstrap, application-id, ratings, customers-cdc,
 * customers-rekeyed, enriched, complaints, commit-interval-ms ("default" or a number),
 * threads (default 1), state-dir. Prints "RUNNING" on stdout once the application runs.
 */
public final class StreamsPeer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;

  private StreamsPeer() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : argv) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) throw new IllegalArgumentException("arguments are --name=value, got " + arg);
      a.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    for (String k : List.of("bootstrap", "application-id", "ratings", "customers-cdc", "customers-rekeyed", "enriched", "complaints", "state-dir")) {
      if (!a.containsKey(k)) throw new IllegalArgumentException("missing --" + k + "=...");
    }
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("application-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(a.getOrDefault("threads", "1")));
    p.put(StreamsConfig.STATE_DIR_CONFIG, a.get("state-dir"));
    p.put(StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    String commit = a.getOrDefault("commit-interval-ms", "default");
    if (!commit.equals("default")) p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(commit));

    KafkaStreams streams = new KafkaStreams(topology(a).build(), p);
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) System.out.println("RUNNING");
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(java.time.Duration.ofSeconds(10));
      done.countDown();
    }));
    streams.start();
    done.await();
    System.out.println("STOPPED " + streams.state());
    if (streams.state() == KafkaStreams.State.ERROR) System.exit(1);
  }

  static StreamsBuilder topology(Map<String, String> a) {
    Serde<String> str = Serdes.String();
    Serde<JsonNode> json = Serdes.serdeFrom(new JsonSerializer(), new JsonDeserializer());
    StreamsBuilder b = new StreamsBuilder();

    b.stream(a.get("customers-cdc"), Consumed.with(str, json))
        .flatMap((key, value) -> rekey(key, value))
        .to(a.get("customers-rekeyed"), Produced.with(str, json));

    GlobalKTable<String, JsonNode> customers =
        b.globalTable(
            a.get("customers-rekeyed"),
            Consumed.with(str, json),
            Materialized.<String, JsonNode>as(Stores.inMemoryKeyValueStore("customers")).withKeySerde(str).withValueSerde(json));

    KStream<String, ObjectNode> enriched =
        b.stream(a.get("ratings"), Consumed.with(str, json))
            .filter((k, r) -> validRating(r))
            .join(customers, (k, r) -> r.get("user_id").asText(), StreamsPeer::enrich)
            .selectKey((k, e) -> e.get("USER_ID").asText());
    enriched.to(a.get("enriched"), Produced.with(str, objectSerde()));
    enriched
        .filter((k, e) -> e.get("STARS").asInt() < 3 && "platinum".equals(e.get("CLUB_STATUS").asText(null)))
        .selectKey((k, e) -> e.get("RATING_ID").asText())
        .to(a.get("complaints"), Produced.with(str, objectSerde()));
    return b;
  }

  private static Serde<ObjectNode> objectSerde() {
    return Serdes.serdeFrom((t, v) -> writeBytes(v), (t, bytes) -> (ObjectNode) readTree(bytes));
  }

  /** What the product's parseRating accepts, enough of it: an object with integer ids and stars 1..5. */
  static boolean validRating(JsonNode r) {
    return r != null
        && r.isObject()
        && r.path("rating_id").canConvertToLong()
        && r.path("user_id").canConvertToLong()
        && r.path("user_id").asLong() >= -1
        && r.path("stars").isIntegralNumber()
        && r.get("stars").asInt() >= 1
        && r.get("stars").asInt() <= 5;
  }

  /** The product's enrichedToRecord: the same columns in the same order. */
  static ObjectNode enrich(JsonNode r, JsonNode c) {
    ObjectNode e = JSON.createObjectNode();
    e.put("RATING_ID", r.get("rating_id").asLong());
    e.put("USER_ID", r.get("user_id").asLong());
    e.put("STARS", r.get("stars").asInt());
    JsonNode route = r.get("route_id");
    if (route == null || route.isNull()) e.putNull("ROUTE_ID");
    else e.put("ROUTE_ID", route.asLong());
    e.put("RATING_TIME", r.path("rating_time").asLong());
    String channel = r.path("channel").asText("").trim();
    e.put("CHANNEL", channel.isEmpty() ? "unknown" : channel);
    e.put("MESSAGE", r.path("message").asText(""));
    e.set("ID", c.get("ID"));
    e.set("CLUB_STATUS", c.path("CLUB_STATUS").isMissingNode() ? e.nullNode() : c.get("CLUB_STATUS"));
    e.set("EMAIL", c.path("EMAIL").isMissingNode() ? e.nullNode() : c.get("EMAIL"));
    e.set("FIRST_NAME", c.path("FIRST_NAME").isMissingNode() ? e.nullNode() : c.get("FIRST_NAME"));
    e.set("LAST_NAME", c.path("LAST_NAME").isMissingNode() ? e.nullNode() : c.get("LAST_NAME"));
    e.set("GENDER", c.path("GENDER").isMissingNode() ? e.nullNode() : c.get("GENDER"));
    return e;
  }

  /** The product's rekey-customers: a CDC row (flat or envelope) → (id, upper-case columns), a delete → tombstone. */
  static List<KeyValue<String, JsonNode>> rekey(String key, JsonNode value) {
    JsonNode row = value;
    if (value != null && (value.has("op") || value.has("after") || value.has("before"))) {
      String op = value.path("op").asText("");
      if (op.equals("d") || value.path("after").isNull()) {
        JsonNode before = value.path("before");
        String id = before.has("id") ? before.get("id").asText() : idFromKey(key);
        return id == null ? List.of() : List.of(KeyValue.pair(id, null));
      }
      row = value.get("after");
    }
    if (row == null) {
      String id = idFromKey(key);
      return id == null ? List.of() : List.of(KeyValue.pair(id, null));
    }
    if (!row.isObject() || !row.path("id").canConvertToLong()) return List.of();
    if (row.path("__deleted").asText("").equals("true")) return List.of(KeyValue.pair(row.get("id").asText(), null));
    ObjectNode out = JSON.createObjectNode();
    out.put("ID", row.get("id").asLong());
    out.set("FIRST_NAME", text(row, "first_name"));
    out.set("LAST_NAME", text(row, "last_name"));
    out.set("EMAIL", text(row, "email"));
    out.set("GENDER", text(row, "gender"));
    JsonNode status = row.get("club_status");
    if (status == null || status.isNull()) out.putNull("CLUB_STATUS");
    else out.put("CLUB_STATUS", status.asText().trim().toLowerCase());
    out.set("COMMENTS", text(row, "comments"));
    out.set("CREATE_TS", timestamp(row, "create_ts"));
    out.set("UPDATE_TS", timestamp(row, "update_ts"));
    return List.of(KeyValue.pair(row.get("id").asText(), out));
  }

  private static JsonNode text(JsonNode row, String field) {
    JsonNode v = row.get(field);
    return v == null || v.isNull() ? JSON.nullNode() : JSON.getNodeFactory().textNode(v.asText());
  }

  private static JsonNode timestamp(JsonNode row, String field) {
    JsonNode v = row.get(field);
    if (v != null && v.isNumber()) return JSON.getNodeFactory().textNode(ISO.format(Instant.ofEpochMilli(v.asLong())));
    return text(row, field);
  }

  private static String idFromKey(String key) {
    if (key == null) return null;
    JsonNode k = readTree(key.getBytes(StandardCharsets.UTF_8));
    if (k != null && k.path("id").canConvertToLong()) return k.get("id").asText();
    if (k != null && k.canConvertToLong()) return k.asText();
    return null;
  }

  static JsonNode readTree(byte[] bytes) {
    if (bytes == null) return null;
    try {
      return JSON.readTree(bytes);
    } catch (Exception e) {
      return null; // not JSON: dropped (the product dead-letters it)
    }
  }

  static byte[] writeBytes(JsonNode v) {
    if (v == null) return null;
    try {
      return JSON.writeValueAsBytes(v);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static final class JsonSerializer implements Serializer<JsonNode> {
    @Override
    public byte[] serialize(String topic, JsonNode data) {
      return writeBytes(data);
    }
  }

  public static final class JsonDeserializer implements Deserializer<JsonNode> {
    @Override
    public JsonNode deserialize(String topic, byte[] data) {
      return readTree(data);
    }
  }
}
