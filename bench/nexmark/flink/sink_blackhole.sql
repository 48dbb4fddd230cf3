'connector' = 'blackhole'
