"""Tumbling-window aggregation over an out-of-order stream of churn scores, with watermarks.

A model of a Flink job that you can read: a few dozen lines of Python that implement the
semantics of Flink's event-time tumbling windows with a bounded-out-of-orderness watermark.
``flink_windows.py`` runs the same windows in Apache Flink (the SQL of
``reference/flink_churn_windows.sql``), and the lecture's test checks that Flink publishes the
same windows and counts for the same stream.

Scored churn requests carry an *event time* (when the customer did something). They reach the
aggregator in *arrival* order, which differs: most are a second or two late, a few are minutes
late (a phone that was offline). Every minute-long window reports how many customers were
scored, their mean churn probability and how many are high-risk.

* watermark = (largest event time seen so far) - (allowed out-of-orderness);
* a window [start, end) fires once the watermark passes ``end``;
* an event whose window has already fired is *late*: it goes to a side output instead of
  silently changing a result that was already published.

Run it with ``uv run python lectures/11_data_flow/examples/tumbling_window.py``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find scoring_model.py
from scoring_model import DATA_PATH, FEATURES, train_model

WINDOW_SECONDS = 60.0
HIGH_RISK = 0.5


@dataclass(frozen=True)
class Event:
    """One scored request."""

    event_id: int
    event_time: float  # seconds since the start of the stream, set by the producer
    arrival_time: float  # when the stream processor sees it
    churn_probability: float


@dataclass
class WindowResult:
    """The published aggregate of one tumbling window."""

    start: float
    end: float
    count: int
    mean_probability: float
    high_risk: int
    fired_at: float  # arrival time of the event whose watermark closed the window
    at_end_of_stream: bool = False  # fired by close(), not by the watermark

    @property
    def emit_delay(self) -> float:
        """How long after the window's end the result was published."""
        return self.fired_at - self.end


@dataclass
class TumblingWindowAggregator:
    """Event-time tumbling windows with a bounded-out-of-orderness watermark."""

    size: float = WINDOW_SECONDS
    out_of_orderness: float = 10.0
    max_event_time: float = float("-inf")
    open_windows: dict[float, list[float]] = field(default_factory=dict)
    fired: list[WindowResult] = field(default_factory=list)
    fired_starts: set[float] = field(default_factory=set)
    late: list[Event] = field(default_factory=list)

    @property
    def watermark(self) -> float:
        """No event with a smaller event time is expected any more."""
        return self.max_event_time - self.out_of_orderness

    def window_start(self, event_time: float) -> float:
        """Tumbling windows are aligned to multiples of ``size``."""
        return float(np.floor(event_time / self.size) * self.size)

    def on_event(self, event: Event) -> None:
        """Assign the event to its window (or to the late side output), then maybe fire."""
        start = self.window_start(event.event_time)
        if start in self.fired_starts or start + self.size <= self.watermark:
            self.late.append(event)
        else:
            self.open_windows.setdefault(start, []).append(event.churn_probability)
        self.max_event_time = max(self.max_event_time, event.event_time)
        self._fire(self.watermark, event.arrival_time)

    def _fire(self, watermark: float, now: float, at_end: bool = False) -> None:
        for start in sorted(self.open_windows):
            if start + self.size <= watermark:
                values = self.open_windows.pop(start)
                self.fired.append(
                    WindowResult(
                        start=start,
                        end=start + self.size,
                        count=len(values),
                        mean_probability=float(np.mean(values)),
                        high_risk=int(sum(v >= HIGH_RISK for v in values)),
                        fired_at=now,
                        at_end_of_stream=at_end,
                    )
                )
                self.fired_starts.add(start)

    def close(self, now: float) -> None:
        """End of a bounded stream: the watermark jumps to +infinity and everything fires."""
        self._fire(float("inf"), now, at_end=True)


def make_stream(n_events: int = 600, seed: int = 3) -> list[Event]:
    """Score ``n_events`` customers and give them event times and (shuffled) arrival times."""
    rng = np.random.default_rng(seed)
    df = pd.read_csv(DATA_PATH)
    model = train_model(df)
    customers = df.sample(n=n_events, random_state=seed)
    probabilities = model.predict_proba(customers[FEATURES])[:, 1]
    event_times = np.cumsum(rng.exponential(0.5, size=n_events))  # ~2 events per second
    delays = rng.exponential(2.0, size=n_events)  # usual network and queueing delay
    stragglers = rng.random(n_events) < 0.03  # 3% were buffered on an offline device
    delays[stragglers] += rng.uniform(20, 90, size=int(stragglers.sum()))
    # Keep whole windows only, so every window has a complete "batch" answer to compare with.
    horizon = np.floor(event_times[-1] / WINDOW_SECONDS) * WINDOW_SECONDS
    events = [
        Event(i, float(t), float(t + d), float(p))
        for i, (t, d, p) in enumerate(zip(event_times, delays, probabilities, strict=True))
        if t < horizon
    ]
    return sorted(events, key=lambda e: e.arrival_time)


def run_stream(events: list[Event], out_of_orderness: float) -> TumblingWindowAggregator:
    """Feed events in arrival order through the aggregator."""
    agg = TumblingWindowAggregator(out_of_orderness=out_of_orderness)
    for event in events:
        agg.on_event(event)
    agg.close(now=events[-1].arrival_time)
    return agg


EPOCH = pd.Timestamp("2025-01-01")  # event time 0 of the simulated stream


def write_events(events: list[Event], path: Path) -> list[Event]:
    """Write ``event_id,event_time,churn_probability`` rows in arrival order for Flink.

    Flink's ``TIMESTAMP(3)`` keeps milliseconds: returns the events with their times rounded the
    same way, so both implementations see exactly the same stream.
    """
    rounded = [
        Event(e.event_id, round(e.event_time, 3), e.arrival_time, e.churn_probability)
        for e in events
    ]
    stamps = [EPOCH + pd.Timedelta(milliseconds=round(e.event_time * 1000)) for e in rounded]
    with path.open("w", encoding="utf-8") as out:
        for event, stamp in zip(rounded, stamps, strict=True):
            when = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            out.write(f"{event.event_id},{when},{event.churn_probability!r}\n")
    return rounded


def batch_counts(events: list[Event], size: float = WINDOW_SECONDS) -> dict[float, int]:
    """The "correct" answer, computed after all data is in (what a nightly batch job sees)."""
    counts: dict[float, int] = {}
    for e in events:
        start = float(np.floor(e.event_time / size) * size)
        counts[start] = counts.get(start, 0) + 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> None:
    """Aggregate the same stream with a tight and a relaxed watermark and compare with batch."""
    import argparse

    parser = argparse.ArgumentParser(description="Event-time tumbling windows with watermarks.")
    parser.add_argument(
        "--events-csv", type=Path, help="also write the stream for flink_windows.py"
    )
    args = parser.parse_args(argv)
    events = make_stream()
    if args.events_csv:
        events = write_events(events, args.events_csv)
        print(f"stream written to {args.events_csv} (arrival order)")
    truth = batch_counts(events)
    out_of_order = sum(
        1 for a, b in zip(events, events[1:], strict=False) if b.event_time < a.event_time
    )
    print(f"{len(events)} scored events; {out_of_order} arrive after a newer event\n")
    for bound in (5.0, 30.0):
        agg = run_stream(events, bound)
        print(f"== watermark = max event time - {bound:.0f} s ==")
        header = f"{'window':<13}{'count':>6}{'batch':>7}{'mean p':>8}{'high risk':>10}"
        print(f"  {header}{'emit delay':>12}")
        for w in agg.fired:
            print(
                f"  [{w.start:>4.0f},{w.end:>4.0f})  {w.count:>6}{truth[w.start]:>7}"
                f"{w.mean_probability:>8.3f}{w.high_risk:>10}{w.emit_delay:>11.1f}s"
                + ("  (end of stream)" if w.at_end_of_stream else "")
            )
        mean_delay = np.mean([w.emit_delay for w in agg.fired if not w.at_end_of_stream])
        print(
            f"  late events sent to the side output: {len(agg.late)}; "
            f"mean emit delay (closed windows): {mean_delay:.1f} s\n"
        )
    print("A longer out-of-orderness bound loses fewer late events but publishes later.")


if __name__ == "__main__":
    main()
