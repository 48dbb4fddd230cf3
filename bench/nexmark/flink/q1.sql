-- nexmark-flink's queries/q1.sql (Apache-2.0, nexmark/nexmark). The one change: the sink table's
-- WITH options are a placeholder that NexmarkSql fills from sink_blackhole.sql (nexmark-flink's
-- blackhole connector) or, with --sink-topic, from sink_kafka.sql.
-- -------------------------------------------------------------------------------------------------
-- Query1: Currency conversion
-- -------------------------------------------------------------------------------------------------
-- Convert each bid value from dollars to euros. Illustrates a simple transformation.
-- -------------------------------------------------------------------------------------------------

CREATE TABLE nexmark_q1 (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  ${SINK_OPTIONS}
);

INSERT INTO nexmark_q1
SELECT
    auction,
    bidder,
    0.908 * price as price, -- convert dollar to euro
    `dateTime`,
    extra
FROM bid;
