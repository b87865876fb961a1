"""Inter-process communication (IPC) three ways, all scoring the churn data in worker processes.

1. ``Pipe``: a duplex channel between exactly two processes; the parent sends request
   messages, a model-holding child answers each one (a tiny "model server" without a network).
2. ``Queue``: many producers and consumers; tasks are spread over a pool of workers, and one
   ``None`` sentinel per worker tells it to stop.
3. ``shared_memory``: the feature matrix is written once into a named shared block; the child
   maps the same bytes and writes scores into a second block, so no data is pickled at all.

Every wait has a timeout so the demo always finishes.

Usage::

    uv run python lectures/02_working_with_code/examples/ipc_channels.py
"""

from __future__ import annotations

import os
import pickle
from collections import Counter
from multiprocessing import shared_memory
from multiprocessing.connection import Connection
from typing import Any

import churn_kernel as kernel
from threads_vs_processes import mp_context

TIMEOUT = 20.0
BATCH = 500


def _chunks(rows: list[kernel.Row], size: int = BATCH) -> list[list[kernel.Row]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def pipe_worker(conn: Connection, weights: kernel.Weights) -> None:
    """Child side of the pipe: answer ("score", rows) until ("stop", None) or silence."""
    while conn.poll(TIMEOUT):
        kind, payload = conn.recv()
        if kind == "stop":
            conn.send(("bye", os.getpid()))
            break
        conn.send(("scores", kernel.score_rows(weights, payload)))
    conn.close()


def demo_pipe(weights: kernel.Weights, rows: list[kernel.Row]) -> dict[str, Any]:
    """Send batches through a duplex pipe to one worker process and collect the answers."""
    ctx = mp_context()
    parent_end, child_end = ctx.Pipe(duplex=True)
    worker = ctx.Process(target=pipe_worker, args=(child_end, weights), daemon=True)
    worker.start()
    child_end.close()  # the parent keeps only its own end

    scores: list[float] = []
    sent = 0
    batches = _chunks(rows)
    for batch in batches:
        message = ("score", batch)
        sent += len(pickle.dumps(message))
        parent_end.send(message)
        if not parent_end.poll(TIMEOUT):
            raise TimeoutError("pipe worker did not answer")
        _, payload = parent_end.recv()
        scores.extend(payload)
    parent_end.send(("stop", None))
    if not parent_end.poll(TIMEOUT):
        raise TimeoutError("pipe worker did not say bye")
    _, child_pid = parent_end.recv()
    worker.join(TIMEOUT)
    parent_end.close()
    return {
        "scores": scores,
        "messages": len(batches),
        "bytes_pickled": sent,
        "child_pid": child_pid,
        "exitcode": worker.exitcode,
    }


def queue_worker(tasks: Any, results: Any, weights: kernel.Weights) -> None:
    """Pool member: take (task_id, rows) from ``tasks`` until it gets the ``None`` sentinel."""
    while True:
        item = tasks.get(timeout=TIMEOUT)
        if item is None:
            break
        task_id, batch = item
        results.put((task_id, os.getpid(), kernel.score_rows(weights, batch)))


def demo_queue(weights: kernel.Weights, rows: list[kernel.Row], workers: int = 2) -> dict[str, Any]:
    """Fan batches out to ``workers`` processes through one queue and gather the results."""
    ctx = mp_context()
    tasks, results = ctx.Queue(), ctx.Queue()
    pool = [
        ctx.Process(target=queue_worker, args=(tasks, results, weights), daemon=True)
        for _ in range(workers)
    ]
    for process in pool:
        process.start()
    batches = _chunks(rows)
    for task_id, batch in enumerate(batches):
        tasks.put((task_id, batch))
    for _ in pool:
        tasks.put(None)

    # Drain the results *before* joining: a child cannot exit while its queue buffer is full.
    collected: dict[int, list[float]] = {}
    per_worker: Counter[int] = Counter()
    for _ in batches:
        task_id, pid, scores = results.get(timeout=TIMEOUT)
        collected[task_id] = scores
        per_worker[pid] += 1
    for process in pool:
        process.join(TIMEOUT)
    ordered = [score for task_id in range(len(batches)) for score in collected[task_id]]
    return {
        "scores": ordered,
        "tasks_per_worker": dict(per_worker),
        "exitcodes": [p.exitcode for p in pool],
    }


def shm_worker(
    in_name: str, out_name: str, shape: tuple[int, int], vector: Any, bias: float
) -> None:
    """Child: map both shared blocks by name, compute scores in place, unmap."""
    import numpy as np

    block_in = shared_memory.SharedMemory(name=in_name)
    block_out = shared_memory.SharedMemory(name=out_name)
    try:
        matrix = np.ndarray(shape, dtype=np.float64, buffer=block_in.buf)
        out = np.ndarray((shape[0],), dtype=np.float64, buffer=block_out.buf)
        out[:] = 1.0 / (1.0 + np.exp(-(matrix @ vector + bias)))
        del matrix, out  # drop the views before closing the mapping
    finally:
        block_in.close()
        block_out.close()


def demo_shared_memory(weights: kernel.Weights, rows: list[kernel.Row]) -> dict[str, Any]:
    """Put the encoded feature matrix in shared memory and let a child score it in place."""
    import numpy as np

    matrix = kernel.encode_matrix(weights, rows)
    block_in = shared_memory.SharedMemory(create=True, size=matrix.nbytes)
    block_out = shared_memory.SharedMemory(create=True, size=matrix.shape[0] * 8)
    try:
        np.ndarray(matrix.shape, dtype=np.float64, buffer=block_in.buf)[:] = matrix
        args = (block_in.name, block_out.name, matrix.shape, kernel.weight_vector(weights))
        ctx = mp_context()
        worker = ctx.Process(target=shm_worker, args=(*args, weights["bias"]), daemon=True)
        worker.start()
        worker.join(TIMEOUT)
        view = np.ndarray((matrix.shape[0],), dtype=np.float64, buffer=block_out.buf)
        scores = view.tolist()
        del view
        return {
            "scores": scores,
            "shared_bytes": matrix.nbytes,
            "bytes_pickled": len(pickle.dumps((*args, weights["bias"]))),
            "exitcode": worker.exitcode,
        }
    finally:
        for block in (block_in, block_out):
            block.close()
            block.unlink()


def max_abs_diff(a: list[float], b: list[float]) -> float:
    """Largest element-wise difference between two equally long score lists."""
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} != {len(b)}")
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def main() -> None:
    """Run the three IPC demos and check each against in-process scoring."""
    rows, labels = kernel.load_rows()
    weights = kernel.train_weights(rows, labels)
    reference = kernel.score_rows(weights, rows)
    print(f"parent pid {os.getpid()}, start method {mp_context().get_start_method()}")

    pipe = demo_pipe(weights, rows)
    diff = max_abs_diff(pipe["scores"], reference)
    print(
        f"pipe:          {pipe['messages']} request messages, {pipe['bytes_pickled']:,} bytes "
        f"pickled, child {pipe['child_pid']}, max diff {diff:.1e}"
    )
    queue = demo_queue(weights, rows)
    print(
        f"queue:         tasks per worker pid {queue['tasks_per_worker']}, "
        f"max diff {max_abs_diff(queue['scores'], reference):.1e}"
    )
    shm = demo_shared_memory(weights, rows)
    print(
        f"shared memory: {shm['shared_bytes']:,} bytes shared, only {shm['bytes_pickled']:,} "
        f"bytes pickled, max diff {max_abs_diff(shm['scores'], reference):.1e}"
    )


if __name__ == "__main__":
    main()
