-- Flink SQL: what tumbling_window.py imitates. Scores arrive on the Kafka topic churn.scores;
-- every minute of *event time* we publish count, mean probability and high-risk customers.

CREATE TABLE churn_scores (
    request_id        STRING,
    customer_id       STRING,
    churn_probability DOUBLE,
    event_time        TIMESTAMP(3),
    -- bounded out-of-orderness: events may be up to 10 seconds late
    WATERMARK FOR event_time AS event_time - INTERVAL '10' SECOND
) WITH (
    'connector' = 'kafka',
    'topic' = 'churn.scores',
    'properties.bootstrap.servers' = 'kafka:9092',
    'properties.group.id' = 'churn-windows',
    'scan.startup.mode' = 'group-offsets',
    'properties.auto.offset.reset' = 'earliest',
    'format' = 'json'
);

CREATE TABLE churn_minutely (
    window_start     TIMESTAMP(3),
    window_end       TIMESTAMP(3),
    scored           BIGINT,
    mean_probability DOUBLE,
    high_risk        BIGINT,
    PRIMARY KEY (window_start) NOT ENFORCED
) WITH (
    'connector' = 'jdbc',
    'url' = 'jdbc:postgresql://postgres:5432/churn',
    'table-name' = 'churn_minutely'
);

INSERT INTO churn_minutely
SELECT
    window_start,
    window_end,
    COUNT(*)                                                 AS scored,
    AVG(churn_probability)                                   AS mean_probability,
    SUM(CASE WHEN churn_probability >= 0.5 THEN 1 ELSE 0 END) AS high_risk
FROM TABLE(
    TUMBLE(TABLE churn_scores, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)
)
GROUP BY window_start, window_end;
