"""A tiny DAG runner in the standard library: a TEACHING MODEL of what an orchestrator does,
short enough to read. It stands in for no tool: the same pipeline runs for real under Dagster
(``dagster_churn_job.py``) and Airflow (``airflow_churn_dag.py``), both executed by the tests.

It implements the three ideas an orchestrator is built on:

* **topological order**: tasks declare upstream dependencies and run only after them
  (Kahn's algorithm; ties broken by name so the order is deterministic; cycles are refused);
* **retries**: a task that raises is retried up to ``retries`` times, except for
  ``NonRetryableError`` (a failed quality gate will not get better by trying again);
* **idempotent tasks with cached outputs**: each task writes into its own folder; the
  runner stores a cache key (hash of the task's code, parameters and upstream keys) next to
  the output and skips the task when the key is unchanged. Outputs are written to a
  temporary folder and renamed into place only on success, so a crash never leaves a
  half-written result that a later run could mistake for a finished one.

Run the demo:

    uv run python lectures/08_automation/examples/mini_dag.py
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = "_SUCCESS.json"

# fn(inputs, out_dir, params): ``inputs`` maps each upstream task name to its output folder.
TaskFn = Callable[[Mapping[str, Path], Path, Mapping[str, Any]], None]


class NonRetryableError(Exception):
    """Raise from a task to fail immediately, without retries."""


@dataclass(frozen=True)
class Task:
    """One node of the DAG."""

    name: str
    fn: TaskFn
    upstream: tuple[str, ...] = ()
    retries: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class TaskResult:
    """What happened to one task in one run."""

    name: str
    status: str  # "ran", "cached", "failed" or "upstream_failed"
    attempts: int = 0
    seconds: float = 0.0
    error: str = ""


def topological_order(tasks: Mapping[str, Task]) -> list[str]:
    """Kahn's algorithm; raises ``ValueError`` on unknown dependencies or cycles."""
    for task in tasks.values():
        unknown = set(task.upstream) - set(tasks)
        if unknown:
            raise ValueError(f"task {task.name!r} depends on unknown {sorted(unknown)}")
    waiting = {name: set(task.upstream) for name, task in tasks.items()}
    order: list[str] = []
    ready = sorted(name for name, deps in waiting.items() if not deps)
    while ready:
        name = ready.pop(0)
        order.append(name)
        for other, deps in waiting.items():
            if name in deps:
                deps.remove(name)
                if not deps and other not in order and other not in ready:
                    ready.append(other)
        ready.sort()
    if len(order) != len(tasks):
        stuck = sorted(set(tasks) - set(order))
        raise ValueError(f"cycle detected among {stuck}")
    return order


def code_fingerprint(fn: Callable[..., Any]) -> str:
    """Hash of the function's source: editing the code invalidates the cache."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = repr(fn)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def cache_key(task: Task, upstream_keys: Mapping[str, str]) -> str:
    """Deterministic key of everything that determines the task's output."""
    payload = {
        "task": task.name,
        "code": code_fingerprint(task.fn),
        # Parameters starting with "_" are runtime knobs (e.g. fault injection), not inputs.
        "params": {k: v for k, v in task.params.items() if not k.startswith("_")},
        "upstream": dict(sorted(upstream_keys.items())),
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


class DAG:
    """A set of tasks plus a runner that executes them in dependency order."""

    def __init__(self, name: str, tasks: list[Task]) -> None:
        self.name = name
        self.tasks = {task.name: task for task in tasks}
        if len(self.tasks) != len(tasks):
            raise ValueError("task names must be unique")
        self.order = topological_order(self.tasks)

    def edges(self) -> set[tuple[str, str]]:
        """(upstream, downstream) pairs."""
        return {(up, t.name) for t in self.tasks.values() for up in t.upstream}

    def run(
        self, workdir: Path, retry_delay: float = 0.0, log: Callable[[str], None] = print
    ) -> dict[str, TaskResult]:
        """Run every task whose cache key changed; return a result per task."""
        workdir.mkdir(parents=True, exist_ok=True)
        keys: dict[str, str] = {}
        results: dict[str, TaskResult] = {}
        for name in self.order:
            task = self.tasks[name]
            if any(results[up].status in ("failed", "upstream_failed") for up in task.upstream):
                results[name] = TaskResult(name, "upstream_failed")
                log(f"[{self.name}] {name:<9} upstream_failed")
                continue
            key = cache_key(task, {up: keys[up] for up in task.upstream})
            out = workdir / name
            marker = out / MARKER
            if marker.exists() and json.loads(marker.read_text()).get("key") == key:
                keys[name] = key
                results[name] = TaskResult(name, "cached")
                log(f"[{self.name}] {name:<9} cached   (key {key})")
                continue
            results[name] = self._attempt(task, key, out, workdir, retry_delay, log)
            if results[name].status == "ran":
                keys[name] = key
        return results

    def _attempt(
        self,
        task: Task,
        key: str,
        out: Path,
        workdir: Path,
        retry_delay: float,
        log: Callable[[str], None],
    ) -> TaskResult:
        inputs = {up: workdir / up for up in task.upstream}
        start = time.perf_counter()
        for attempt in range(1, task.retries + 2):
            staging = Path(tempfile.mkdtemp(prefix=f".{task.name}-", dir=workdir))
            try:
                task.fn(inputs, staging, {**task.params, "_attempt": attempt})
            except Exception as exc:  # an orchestrator must survive any task error
                shutil.rmtree(staging, ignore_errors=True)
                final = isinstance(exc, NonRetryableError) or attempt > task.retries
                log(
                    f"[{self.name}] {task.name:<9} attempt {attempt} failed: "
                    f"{type(exc).__name__}: {exc}" + ("" if final else " -> retrying")
                )
                if final:
                    return TaskResult(
                        task.name, "failed", attempt, time.perf_counter() - start, str(exc)
                    )
                time.sleep(retry_delay)
                continue
            (staging / MARKER).write_text(json.dumps({"key": key, "task": task.name}) + "\n")
            shutil.rmtree(out, ignore_errors=True)
            staging.rename(out)  # atomic on one filesystem: the output appears all at once
            seconds = time.perf_counter() - start
            log(f"[{self.name}] {task.name:<9} ran      (key {key}, attempt {attempt})")
            return TaskResult(task.name, "ran", attempt, seconds)
        raise AssertionError("unreachable")


def _demo_task(inputs: Mapping[str, Path], out: Path, params: Mapping[str, Any]) -> None:
    """Concatenate upstream outputs with this task's label (fails once if asked to)."""
    if params.get("flaky") and params["_attempt"] == 1:
        raise ConnectionError("simulated transient failure")
    text = "".join((inputs[up] / "out.txt").read_text() for up in sorted(inputs))
    (out / "out.txt").write_text(text + params["label"])


def main() -> None:
    """Run a diamond-shaped DAG twice to show ordering, a retry and the cache."""
    dag = DAG(
        "diamond",
        [
            Task("d", _demo_task, upstream=("b", "c"), params={"label": "D"}),
            Task("b", _demo_task, upstream=("a",), params={"label": "B"}),
            Task("c", _demo_task, upstream=("a",), retries=1, params={"label": "C", "flaky": 1}),
            Task("a", _demo_task, params={"label": "A"}),
        ],
    )
    print("topological order:", " -> ".join(dag.order))
    with tempfile.TemporaryDirectory() as tmp:
        first = dag.run(Path(tmp))
        print("final output:", (Path(tmp) / "d" / "out.txt").read_text())
        second = dag.run(Path(tmp))
    print("first run :", {n: r.status for n, r in first.items()})
    print("second run:", {n: r.status for n, r in second.items()})
    try:
        topological_order({"x": Task("x", _demo_task, ("y",)), "y": Task("y", _demo_task, ("x",))})
    except ValueError as exc:
        print("cycle check:", exc)


if __name__ == "__main__":
    main()
