"""The asynchronous serving pattern with a standard-library queue standing in for Kafka/RabbitMQ.

Clients put requests on a queue and get on with their work; a worker thread takes whatever has
accumulated (up to `max_batch` requests, waiting at most `max_wait_s` for more), scores it in a
single pipeline call and publishes the results to a result store (a dict here, a database table
or a reply topic in real life).

Because the pipeline's cost is mostly per call, not per row, micro-batching raises throughput a
lot, at the price of each request waiting a little in the queue. The example compares it with
scoring the same requests one by one, and checks that both give identical probabilities.

Stand-in, clearly labelled: `queue.Queue` lives in one process; a real broker persists messages,
survives restarts and lets many workers on many machines share the load.

Run: uv run python lectures/04_services_in_python/examples/async_queue_worker.py
"""

from __future__ import annotations

import queue
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find churn_model.py
from churn_model import load_data, train_pipeline

STOP = None  # sentinel that tells the worker to finish


@dataclass
class ResultStore:
    """Where the worker publishes answers; callers poll or wait on it."""

    results: dict[int, float] = field(default_factory=dict)
    finished_at: dict[int, float] = field(default_factory=dict)
    batch_sizes: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, ids: list[int], probabilities: np.ndarray) -> None:
        """Store one batch of answers."""
        now = time.perf_counter()
        with self.lock:
            for request_id, p in zip(ids, probabilities, strict=True):
                self.results[request_id] = float(p)
                self.finished_at[request_id] = now
            self.batch_sizes.append(len(ids))


def worker(
    model: Pipeline, inbox: queue.Queue, store: ResultStore, max_batch: int, max_wait_s: float
) -> None:
    """Drain the queue in micro-batches until the STOP sentinel arrives."""
    while True:
        first = inbox.get()
        if first is STOP:
            return
        batch = [first]
        deadline = time.perf_counter() + max_wait_s
        stop_after = False
        while len(batch) < max_batch:
            try:
                item = inbox.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                break
            if item is STOP:
                stop_after = True
                break
            batch.append(item)
        ids = [request_id for request_id, _ in batch]
        frame = pd.DataFrame([record for _, record in batch])
        store.publish(ids, model.predict_proba(frame)[:, 1])
        if stop_after:
            return


def run_async(
    model: Pipeline, records: list[dict[str, Any]], max_batch: int = 64, max_wait_s: float = 0.005
) -> dict[str, Any]:
    """Enqueue every record (as a burst of clients would) and wait for all answers."""
    inbox: queue.Queue = queue.Queue()
    store = ResultStore()
    thread = threading.Thread(
        target=worker, args=(model, inbox, store, max_batch, max_wait_s), daemon=True
    )
    thread.start()
    start = time.perf_counter()
    submitted_at = {}
    for request_id, record in enumerate(records):
        submitted_at[request_id] = time.perf_counter()
        inbox.put((request_id, record))
    inbox.put(STOP)
    thread.join(timeout=60)
    if thread.is_alive():
        raise RuntimeError("worker did not finish")
    elapsed = time.perf_counter() - start
    waits = [store.finished_at[i] - submitted_at[i] for i in range(len(records))]
    return {
        "probabilities": [store.results[i] for i in range(len(records))],
        "seconds": elapsed,
        "batches": len(store.batch_sizes),
        "largest_batch": max(store.batch_sizes),
        "latency_p50_ms": statistics.median(waits) * 1e3,
        "latency_max_ms": max(waits) * 1e3,
    }


def run_sync(model: Pipeline, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The synchronous baseline: one pipeline call per request, in arrival order."""
    start = time.perf_counter()
    probabilities = [float(model.predict_proba(pd.DataFrame([r]))[0, 1]) for r in records]
    return {"probabilities": probabilities, "seconds": time.perf_counter() - start}


def compare(n_requests: int = 300) -> dict[str, Any]:
    """Score the same burst of requests both ways."""
    x, y = load_data()
    model = train_pipeline(x, y)
    records = x.head(n_requests).to_dict(orient="records")
    sync = run_sync(model, records)
    asynchronous = run_async(model, records)
    diff = np.max(np.abs(np.array(sync["probabilities"]) - np.array(asynchronous["probabilities"])))
    return {
        "n_requests": n_requests,
        "sync_rps": n_requests / sync["seconds"],
        "async_rps": n_requests / asynchronous["seconds"],
        "max_abs_diff": float(diff),
        **{k: v for k, v in asynchronous.items() if k != "probabilities"},
    }


def main() -> None:
    """Print throughput of both patterns and the queueing cost."""
    r = compare()
    print(f"{r['n_requests']} requests arrive at once")
    print(f"synchronous, one call per request : {r['sync_rps']:8.0f} requests/s")
    print(
        f"queue + micro-batching worker     : {r['async_rps']:8.0f} requests/s "
        f"({r['batches']} batches, largest {r['largest_batch']})"
    )
    print(
        f"time from enqueue to result: p50 {r['latency_p50_ms']:.1f} ms, "
        f"max {r['latency_max_ms']:.1f} ms"
    )
    print(f"same answers both ways, max |diff| = {r['max_abs_diff']:.1e}")


if __name__ == "__main__":
    main()
