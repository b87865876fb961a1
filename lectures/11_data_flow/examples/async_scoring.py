"""Asynchronous churn scoring over a partitioned log: a standard-library stand-in for Kafka.

HONEST STAND-IN: Kafka is not available in the course environment, so this file implements the
ideas that matter for correctness in a few hundred lines of plain Python:

* a **topic** split into **partitions**; each partition is an append-only list and a record's
  **offset** is its index; the producer picks the partition from the record key, so all
  requests of one customer stay in order;
* a **consumer group**: partitions are divided between the group's members; each member reads
  from its position and **commits** the offset of the next record to read; when a member joins
  or dies the group **rebalances** and the new owner resumes from the last committed offset;
* **workers** that poll a batch, score it with the churn model, write to a **result store** and
  only then commit (at-least-once delivery);
* an **idempotent** result store keyed by request id, so a record that is delivered twice is
  stored once — at-least-once delivery + idempotent sink = each request scored exactly once
  in effect.

Everything runs in one thread under a deterministic round-robin scheduler, so a crash happens at
exactly the same place on every run and the tests can assert on it. The real Kafka version of the
worker is in ``lectures/11_data_flow/reference/kafka_churn_worker.py``.

Run it with ``uv run python lectures/11_data_flow/examples/async_scoring.py``.
"""

from __future__ import annotations

import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find scoring_model.py
from scoring_model import DATA_PATH, FEATURES, train_model

MODEL_VERSION = "churn-logreg-1.0.0"

CommitMode = Literal["after", "before"]


# --------------------------------------------------------------------------------------------
# The log: topic -> partitions -> offsets
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """One message in the log."""

    partition: int
    offset: int
    key: str
    value: dict[str, Any]


class PartitionedLog:
    """An append-only topic with a fixed number of partitions (Kafka's core abstraction)."""

    def __init__(self, num_partitions: int) -> None:
        self.partitions: list[list[Record]] = [[] for _ in range(num_partitions)]

    def partition_for(self, key: str) -> int:
        """Stable key -> partition mapping (Kafka uses murmur2; any stable hash works)."""
        return zlib.crc32(key.encode()) % len(self.partitions)

    def append(self, key: str, value: dict[str, Any]) -> Record:
        """Produce one record; returns it with its partition and offset."""
        p = self.partition_for(key)
        record = Record(p, len(self.partitions[p]), key, value)
        self.partitions[p].append(record)
        return record

    def read(self, partition: int, offset: int, max_records: int) -> list[Record]:
        """Fetch up to ``max_records`` starting at ``offset`` (reading does not remove anything)."""
        return self.partitions[partition][offset : offset + max_records]

    def end_offset(self, partition: int) -> int:
        """The offset the next produced record will get."""
        return len(self.partitions[partition])


class StaleMemberError(RuntimeError):
    """Raised when a member that lost its partitions (or left) tries to commit."""


@dataclass
class ConsumerGroup:
    """Partition assignment, positions and committed offsets for one group id."""

    log: PartitionedLog
    group_id: str
    committed: dict[int, int] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    assignment: dict[str, list[int]] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)
    generation: int = 0
    history: list[str] = field(default_factory=list)

    def join(self, member: str) -> None:
        """A consumer joins; the group rebalances."""
        self.members.append(member)
        self._rebalance(f"{member} joined")

    def leave(self, member: str, reason: str = "left") -> None:
        """A consumer leaves or is declared dead (missed heartbeats); the group rebalances."""
        self.members.remove(member)
        self._rebalance(f"{member} {reason}")

    def _rebalance(self, why: str) -> None:
        """Range assignor: sorted members get contiguous slices of the partition list.

        Every partition's position is reset to its last *committed* offset: whatever the old
        owner processed but did not commit will be delivered again to the new owner.
        """
        self.generation += 1
        n = len(self.log.partitions)
        members = sorted(self.members)
        self.assignment = {m: [] for m in members}
        for i, m in enumerate(members):
            lo, hi = i * n // len(members), (i + 1) * n // len(members)
            self.assignment[m] = list(range(lo, hi))
        self.positions = {p: self.committed.get(p, 0) for p in range(n)}
        layout = ", ".join(f"{m}->{ps}" for m, ps in self.assignment.items())
        self.history.append(f"generation {self.generation}: {why}; {layout}")

    def poll(self, member: str, max_records: int) -> tuple[int, list[Record]]:
        """Return (generation, records) from the member's partitions, advancing its position."""
        batch: list[Record] = []
        for p in self.assignment.get(member, []):
            room = max_records - len(batch)
            if room <= 0:
                break
            records = self.log.read(p, self.positions[p], room)
            if records:
                self.positions[p] = records[-1].offset + 1
                batch.extend(records)
        return self.generation, batch

    def commit(self, member: str, generation: int, offsets: dict[int, int]) -> None:
        """Store "next offset to read" per partition, fenced by generation and ownership."""
        if generation != self.generation:
            raise StaleMemberError(
                f"{member} commits for generation {generation}, group is at {self.generation}"
            )
        owned = set(self.assignment.get(member, []))
        if not set(offsets) <= owned:
            raise StaleMemberError(f"{member} does not own partitions {set(offsets) - owned}")
        for p, offset in offsets.items():
            self.committed[p] = max(self.committed.get(p, 0), offset)

    def lag(self) -> int:
        """Records produced but not yet committed, over all partitions."""
        return sum(
            self.log.end_offset(p) - self.committed.get(p, 0)
            for p in range(len(self.log.partitions))
        )


# --------------------------------------------------------------------------------------------
# Result store and workers
# --------------------------------------------------------------------------------------------
@dataclass
class ResultStore:
    """Idempotent sink: the first write for a request id wins, repeats are counted and ignored.

    In production this is ``INSERT ... ON CONFLICT (request_id) DO NOTHING`` in PostgreSQL, or a
    Redis ``SET key value NX``.
    """

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates_ignored: int = 0

    def put_if_absent(self, request_id: str, result: dict[str, Any]) -> bool:
        """Store ``result`` unless this request id already has one; True if it was stored."""
        if request_id in self.results:
            self.duplicates_ignored += 1
            return False
        self.results[request_id] = result
        return True

    def get(self, request_id: str) -> dict[str, Any] | None:
        """What a client polling ``GET /predictions/{request_id}`` would receive."""
        return self.results.get(request_id)


class WorkerCrash(RuntimeError):
    """Simulated process death (OOM kill, node failure) in the middle of a batch."""


@dataclass
class Worker:
    """A consumer-group member that scores batches of churn requests."""

    name: str
    group: ConsumerGroup
    model: Pipeline
    store: ResultStore
    batch_size: int = 16
    commit_mode: CommitMode = "after"
    crash_on_batch: int | None = None  # crash while handling this batch number (1-based)
    batches_done: int = 0
    scored: int = 0
    alive: bool = True

    def step(self) -> int:
        """Poll one batch, score it, store the results and commit; return records handled."""
        generation, batch = self.group.poll(self.name, self.batch_size)
        if not batch:
            return 0
        next_offsets: dict[int, int] = {}
        for record in batch:
            next_offsets[record.partition] = record.offset + 1
        if self.commit_mode == "before":  # at-most-once: commit first, then work
            self.group.commit(self.name, generation, next_offsets)
        will_crash = self.crash_on_batch == self.batches_done + 1
        frame = pd.DataFrame([r.value["features"] for r in batch])[FEATURES]
        probabilities = self.model.predict_proba(frame)[:, 1]
        self.scored += len(batch)
        # When crashing, only the first half of the batch reaches the store before the process
        # dies: a partial write, the nastiest case for exactly-once.
        limit = len(batch) // 2 if will_crash else len(batch)
        for record, proba in zip(batch[:limit], probabilities[:limit], strict=True):
            self.store.put_if_absent(
                record.value["request_id"],
                {
                    "request_id": record.value["request_id"],
                    "customer_id": record.key,
                    "churn_probability": float(proba),
                    "model_version": MODEL_VERSION,
                    "scored_by": self.name,
                    "partition": record.partition,
                    "offset": record.offset,
                },
            )
        if will_crash:
            self.alive = False
            raise WorkerCrash(f"{self.name} died in batch {self.batches_done + 1}")
        if self.commit_mode == "after":  # at-least-once: commit only after the results are safe
            self.group.commit(self.name, generation, next_offsets)
        self.batches_done += 1
        return len(batch)


# --------------------------------------------------------------------------------------------
# Producer side: the asynchronous API
# --------------------------------------------------------------------------------------------
def submit_requests(log: PartitionedLog, customers: pd.DataFrame) -> list[str]:
    """What ``POST /predictions`` does in the async pattern: enqueue and return 202 + an id."""
    request_ids = []
    for i, row in enumerate(customers.to_dict(orient="records")):
        request_id = f"req-{i:05d}"
        features = {k: row[k] for k in FEATURES}
        log.append(
            key=f"cust-{int(row['row_id'])}",
            value={"request_id": request_id, "features": features},
        )
        request_ids.append(request_id)
    return request_ids


@dataclass
class RunReport:
    """The outcome of one simulated run."""

    request_ids: list[str]
    store: ResultStore
    group: ConsumerGroup
    workers: dict[str, Worker]
    events: list[str]
    expected: dict[str, float]
    ticks: int

    @property
    def scoring_attempts(self) -> int:
        """How many times records were scored, counting redeliveries."""
        return sum(w.scored for w in self.workers.values())

    @property
    def missing(self) -> list[str]:
        """Requests that never got a stored result."""
        return [r for r in self.request_ids if r not in self.store.results]

    @property
    def partitions_complete(self) -> bool:
        """True if, for every partition, offsets 0..end-1 each have exactly one stored result."""
        by_partition: dict[int, list[int]] = {}
        for result in self.store.results.values():
            by_partition.setdefault(result["partition"], []).append(result["offset"])
        return all(
            sorted(by_partition.get(p, [])) == list(range(self.group.log.end_offset(p)))
            for p in range(len(self.group.log.partitions))
        )


def run_pipeline(
    n_requests: int = 400,
    num_partitions: int = 6,
    num_workers: int = 3,
    batch_size: int = 16,
    commit_mode: CommitMode = "after",
    crash: tuple[str, int] | None = ("worker-1", 3),
    late_joiner_at_tick: int | None = 6,
    seed: int = 11,
    max_ticks: int = 1_000,
) -> RunReport:
    """Produce requests, run the consumer group with a crash and a scale-out, return the report.

    ``crash=("worker-1", 3)`` kills worker-1 in the middle of its third batch (after a partial
    write, before the commit). ``late_joiner_at_tick`` adds worker-3 later, which triggers a
    second rebalance. The scheduler visits live workers round-robin, so runs are reproducible.
    """
    df = pd.read_csv(DATA_PATH)
    model = train_model(df)
    customers = df.sample(n=n_requests, random_state=seed).reset_index(drop=True)
    expected = dict(
        zip(
            [f"req-{i:05d}" for i in range(n_requests)],
            model.predict_proba(customers[FEATURES])[:, 1].astype(float),
            strict=True,
        )
    )

    log = PartitionedLog(num_partitions)
    request_ids = submit_requests(log, customers)
    group = ConsumerGroup(log, "churn-scorers")
    store = ResultStore()
    workers: dict[str, Worker] = {}
    events: list[str] = []

    def add_worker(name: str) -> None:
        crash_on = crash[1] if crash and crash[0] == name else None
        workers[name] = Worker(name, group, model, store, batch_size, commit_mode, crash_on)
        group.join(name)
        events.append(f"tick {tick}: {group.history[-1]}")

    tick = 0
    for i in range(num_workers):
        add_worker(f"worker-{i}")

    while group.lag() > 0 and tick < max_ticks:
        tick += 1
        if late_joiner_at_tick is not None and tick == late_joiner_at_tick:
            add_worker(f"worker-{num_workers}")  # scale-out: one more consumer
        for name in sorted(workers):
            worker = workers[name]
            if not worker.alive:
                continue
            try:
                worker.step()
            except WorkerCrash as exc:
                events.append(f"tick {tick}: {exc}; its session times out")
                group.leave(name, reason="crashed")
                events.append(f"tick {tick}: {group.history[-1]}")
    return RunReport(request_ids, store, group, workers, events, expected, tick)


def print_report(title: str, report: RunReport) -> None:
    """Human-readable summary of one run."""
    stored = len(report.store.results)
    print(f"== {title} ==")
    for event in report.events:
        print(f"  {event}")
    print(
        f"  produced {len(report.request_ids)} | scoring attempts {report.scoring_attempts} | "
        f"stored {stored} | duplicates ignored {report.store.duplicates_ignored} | "
        f"missing {len(report.missing)} | lag {report.group.lag()} | ticks {report.ticks}"
    )
    per_worker = Counter(r["scored_by"] for r in report.store.results.values())
    print(f"  results written per worker: {dict(sorted(per_worker.items()))}")


def main() -> None:
    """Run the at-least-once pipeline with a crash, then the at-most-once variant."""
    safe = run_pipeline(commit_mode="after")
    print_report("process, store, then commit (at-least-once + idempotent store)", safe)
    max_error = max(
        abs(safe.store.results[r]["churn_probability"] - p) for r, p in safe.expected.items()
    )
    print(
        f"  every request stored exactly once: {not safe.missing}; "
        f"max |stored - direct model score| = {max_error:.1e}"
    )
    example = safe.store.get("req-00042")
    assert example is not None
    print(
        "  client polling GET /predictions/req-00042 ->",
        {
            "customer_id": example["customer_id"],
            "churn_probability": round(example["churn_probability"], 4),
            "scored_by": example["scored_by"],
        },
    )

    unsafe = run_pipeline(commit_mode="before")
    print()
    print_report("commit, then process (at-most-once)", unsafe)
    print(f"  lost forever: {len(unsafe.missing)} requests, e.g. {unsafe.missing[:3]}")


if __name__ == "__main__":
    main()
