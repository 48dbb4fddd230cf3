'connector' = 'kafka',
  'topic' = '${SINK_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'format' = 'json',
  'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
  'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
  'properties.transaction.timeout.ms' = '600000'
