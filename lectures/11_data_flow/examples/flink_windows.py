"""The tumbling-window job of ``tumbling_window.py``, run by Apache Flink (PyFlink, Flink SQL).

The same scored events, read in arrival order from a CSV file, go through Flink's event-time
tumbling windows with a bounded-out-of-orderness watermark (the SQL of
``reference/flink_churn_windows.sql`` with a file instead of Kafka and stdout instead of
PostgreSQL). Flink drops an event whose window has already fired; the lecture's test checks that
Flink publishes exactly the windows, counts and high-risk numbers that ``tumbling_window.py``
publishes for the same stream and bound.

PyFlink needs a Java runtime and pins libraries that clash with the course's (grpcio < 1.66 via
Apache Beam), so it lives in lecture 11's own environment::

    uv sync --project lectures/11_data_flow/tools      # apt-get install openjdk-17-jre-headless
    lectures/11_data_flow/tools/.venv/bin/python lectures/11_data_flow/examples/flink_windows.py \\
        EVENTS.csv --bound 5 --bound 30

``EVENTS.csv`` has one ``event_id,event_time,churn_probability`` row per event (event time as
``YYYY-MM-DD HH:MM:SS.mmm``) in arrival order: ``tumbling_window.py --events-csv EVENTS.csv``
writes it.
Prints one JSON object per line: ``{"bound": 5, "start": ..., "count": ..., ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

WINDOWS_SQL = """
SELECT window_start, COUNT(*) AS scored, AVG(churn_probability) AS mean_probability,
       SUM(CASE WHEN churn_probability >= 0.5 THEN 1 ELSE 0 END) AS high_risk
FROM TABLE(TUMBLE(TABLE churn_scores, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end
"""


def source_ddl(path: Path, bound_seconds: int) -> str:
    """The event table: a CSV file read once, in file (= arrival) order, with a watermark."""
    return f"""
    CREATE TEMPORARY TABLE churn_scores (
        event_id          BIGINT,
        event_time        TIMESTAMP(3),
        churn_probability DOUBLE,
        WATERMARK FOR event_time AS event_time - INTERVAL '{bound_seconds}' SECOND
    ) WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv')
    """


def run(path: Path, bounds: list[int]) -> list[dict[str, object]]:
    """One streaming job per watermark bound; the windows each one publishes."""
    from pyflink.table import EnvironmentSettings, TableEnvironment

    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = env.get_config()
    config.set("parallelism.default", "1")  # one reader: events arrive in file order
    # 0 = a watermark after every event (the default, every 200 ms of wall time, would make the
    # number of late events depend on how fast the machine reads the file).
    config.set("pipeline.auto-watermark-interval", "0")
    windows: list[dict[str, object]] = []
    for bound in bounds:
        env.execute_sql("DROP TEMPORARY TABLE IF EXISTS churn_scores")
        env.execute_sql(source_ddl(path.resolve(), bound))
        with env.execute_sql(WINDOWS_SQL).collect() as rows:
            for start, scored, mean, high_risk in rows:
                windows.append(
                    {
                        "bound": bound,
                        "start": start.isoformat(),
                        "count": scored,
                        "mean_probability": mean,
                        "high_risk": high_risk,
                    }
                )
    return windows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Flink SQL tumbling windows over a CSV stream.")
    parser.add_argument("events", type=Path, help="CSV: event_id,event_time,churn_probability")
    parser.add_argument("--bound", type=int, action="append", help="watermark bound, seconds")
    args = parser.parse_args(argv)
    if not args.events.is_file():
        sys.exit(f"flink_windows.py: no such file: {args.events}")
    for window in run(args.events, args.bound or [10]):
        print(json.dumps(window))


if __name__ == "__main__":
    main()
