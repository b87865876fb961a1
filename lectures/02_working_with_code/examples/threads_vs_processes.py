"""Threads vs processes on a CPU-bound and an I/O-bound job built around the churn model.

* CPU-bound: a nightly batch job scores every customer ``--repeats`` times with the pure-Python
  scorer from ``churn_kernel``. Threads share one GIL, so they cannot run this Python code in
  parallel; processes each have their own interpreter and GIL.
* I/O-bound: each task waits ``--latency`` seconds, standing in for a call to a remote feature
  store. A waiting thread releases the GIL, so threads overlap the waits nicely.
* For comparison, the same CPU work done with numpy in one vectorised call.

Usage::

    uv run python lectures/02_working_with_code/examples/threads_vs_processes.py
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import churn_kernel as kernel

# Per-process state, filled once per worker by the pool initializer: the weights and rows are
# sent to each worker a single time instead of being pickled into every task.
_STATE: dict[str, Any] = {}


@dataclass
class Timing:
    """One benchmark line."""

    job: str
    mode: str
    workers: int
    seconds: float
    result: float


def mp_context() -> multiprocessing.context.BaseContext:
    """Prefer fork (fast start, Linux) and fall back to spawn (macOS, Windows)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def init_worker(weights: kernel.Weights, rows: list[kernel.Row]) -> None:
    """Pool initializer: keep the model and data in this process's memory."""
    _STATE["weights"] = weights
    _STATE["rows"] = rows


def score_slice(bounds: tuple[int, int]) -> float:
    """CPU-bound task: score virtual rows ``start..stop`` and return their exact sum."""
    start, stop = bounds
    weights, rows = _STATE["weights"], _STATE["rows"]
    n = len(rows)
    return math.fsum(kernel.score_row(weights, rows[i % n]) for i in range(start, stop))


def fetch_slice(bounds: tuple[int, int], latency: float) -> float:
    """I/O-bound task: pretend to wait for a remote feature store, then return the row count."""
    time.sleep(latency)
    return float(bounds[1] - bounds[0])


def split(total: int, parts: int) -> list[tuple[int, int]]:
    """Cut ``range(total)`` into ``parts`` contiguous (start, stop) slices."""
    edges = [total * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _timed(
    job: str,
    mode: str,
    workers: int,
    task: Callable[[tuple[int, int]], float],
    slices: list[tuple[int, int]],
    executor: Executor | None,
) -> Timing:
    started = time.perf_counter()
    if executor is None:
        parts = [task(s) for s in slices]
    else:
        with executor:
            parts = list(executor.map(task, slices, timeout=120))
    return Timing(job, mode, workers, time.perf_counter() - started, math.fsum(parts))


def run_cpu_benchmark(
    weights: kernel.Weights, rows: list[kernel.Row], repeats: int, workers: int, tasks: int = 8
) -> list[Timing]:
    """Score ``len(rows) * repeats`` rows serially, with threads and with processes."""
    slices = split(len(rows) * repeats, tasks)
    init_worker(weights, rows)  # the serial run and the threads use this process's state
    init = (weights, rows)
    results = [
        _timed("cpu", "serial", 1, score_slice, slices, None),
        _timed("cpu", "threads", workers, score_slice, slices, ThreadPoolExecutor(workers)),
        _timed(
            "cpu",
            "processes",
            workers,
            score_slice,
            slices,
            ProcessPoolExecutor(
                workers, mp_context=mp_context(), initializer=init_worker, initargs=init
            ),
        ),
    ]
    results.append(vectorised(weights, rows, repeats))
    return results


def vectorised(weights: kernel.Weights, rows: list[kernel.Row], repeats: int) -> Timing:
    """The same CPU job with numpy: one matrix-vector product per repeat."""
    import numpy as np

    matrix = kernel.encode_matrix(weights, rows)
    vector = kernel.weight_vector(weights)
    started = time.perf_counter()
    total = 0.0
    for _ in range(repeats):
        total += math.fsum(1.0 / (1.0 + np.exp(-(matrix @ vector + weights["bias"]))))
    return Timing("cpu", "numpy vectorised", 1, time.perf_counter() - started, total)


def run_io_benchmark(tasks: int, workers: int, latency: float) -> list[Timing]:
    """Run ``tasks`` simulated remote calls serially and with a thread pool."""
    slices = split(tasks * 100, tasks)

    def task(bounds: tuple[int, int]) -> float:
        """Bind the latency so the executor can call a one-argument function."""
        return fetch_slice(bounds, latency)

    return [
        _timed("io", "serial", 1, task, slices, None),
        _timed("io", "threads", workers, task, slices, ThreadPoolExecutor(workers)),
    ]


def print_table(timings: list[Timing]) -> None:
    """Print timings with the speed-up relative to the first (serial) line."""
    base = timings[0].seconds
    print(f"{'job':<4} {'mode':<17} {'workers':>7} {'seconds':>8} {'speed-up':>9}  result")
    for t in timings:
        speedup = base / t.seconds if t.seconds else float("inf")
        print(
            f"{t.job:<4} {t.mode:<17} {t.workers:>7} {t.seconds:>8.3f} {speedup:>8.1f}x"
            f"  {t.result:.6f}"
        )


def main(argv: list[str] | None = None) -> None:
    """Train the model once, then run both benchmarks and print the tables."""
    parser = argparse.ArgumentParser(description="Threads vs processes on the churn model.")
    parser.add_argument("--repeats", type=int, default=24, help="passes over the dataset")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--latency", type=float, default=0.05, help="simulated I/O wait, s")
    args = parser.parse_args(argv)

    rows, labels = kernel.load_rows()
    weights = kernel.train_weights(rows, labels)
    method = mp_context().get_start_method()
    print(f"CPUs: {os.cpu_count()}, workers: {args.workers}, start method: {method}")
    print(f"CPU-bound: {len(rows) * args.repeats:,} pure-Python scorings")
    print_table(run_cpu_benchmark(weights, rows, args.repeats, args.workers))
    print(f"\nI/O-bound: 8 calls of {args.latency * 1000:.0f} ms each")
    print_table(run_io_benchmark(8, 8, args.latency))


if __name__ == "__main__":
    main()
