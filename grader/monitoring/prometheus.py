"""Run promtool and a real Prometheus server (the Debian package ``prometheus``).

Everything binds to 127.0.0.1, every wait is bounded, and every process started here is stopped
when its ``with`` block ends, even after a failure. Used by the hw3 grading checks, the hw3
course tests and the lecture 10 tests.

* :func:`find_binaries` — the ``promtool`` and ``prometheus`` executables, or ``None``;
* :func:`promtool` and the ``check_config``/``check_rules``/``test_rules`` shortcuts;
* :func:`fast_config` — a submission's ``prometheus.yml`` with one job's targets rewritten, short
  scrape and evaluation intervals, and no Alertmanager or remote storage;
* :class:`PrometheusServer` — ``with PrometheusServer(binary, config, workdir) as prom:`` then
  :meth:`~PrometheusServer.query`, :meth:`~PrometheusServer.alerts`,
  :meth:`~PrometheusServer.targets`, :meth:`~PrometheusServer.wait_for`. A :class:`Launcher`
  decides where the server runs: a plain child process by default; the grader's launcher starts it
  inside a grading job's sandbox and network namespace and queries it from there;
* :func:`parse_duration` — a Prometheus duration (``1h30m``) in seconds.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

T = TypeVar("T")

# Prometheus answers on 127.0.0.1 only: proxies from the environment are never used.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Binaries:
    """Paths of the two executables; either may be missing."""

    promtool: str | None
    prometheus: str | None


def find_binaries() -> Binaries:
    """``promtool`` and ``prometheus`` from PATH (Debian/Ubuntu: ``apt-get install prometheus``)."""
    return Binaries(shutil.which("promtool"), shutil.which("prometheus"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- promtool
def promtool(
    binary: str, *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``promtool ARGS`` (e.g. ``"test", "rules", "rules_test.yml"``) and return the result."""
    return subprocess.run(
        [binary, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def check_config(binary: str, config: Path) -> subprocess.CompletedProcess[str]:
    """``promtool check config`` (also checks the rule files the configuration names)."""
    return promtool(binary, "check", "config", config.name, cwd=config.parent)


def check_rules(binary: str, rules: Path) -> subprocess.CompletedProcess[str]:
    """``promtool check rules``."""
    return promtool(binary, "check", "rules", rules.name, cwd=rules.parent)


def test_rules(binary: str, tests: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``promtool test rules`` on one unit-test file (its rule files resolve relative to it)."""
    return promtool(binary, "test", "rules", tests.name, cwd=tests.parent, timeout=timeout)


test_rules.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# --------------------------------------------------------------------------- configuration
def fast_config(
    config: Mapping[str, Any],
    job_name: str,
    target: str,
    rule_files: Sequence[Path],
    interval: str = "1s",
) -> str:
    """``config`` reduced to ``job_name`` scraping ``target``, every ``interval``, with these rules.

    What the submission chose for that job (metrics path, parameters, labels, relabelling, limits:
    :data:`KEPT_JOB_KEYS`) is kept; its targets, intervals and timeouts are replaced, and every
    other setting (service discovery, credentials and TLS files, proxies), Alertmanager, remote
    storage and other jobs are dropped: nothing of the result makes Prometheus read a file or reach
    a host the caller did not name. Raises ``KeyError`` when the configuration has no job of that
    name.
    """
    jobs = [j for j in config.get("scrape_configs") or [] if isinstance(j, Mapping)]
    jobs = [dict(j) for j in jobs if j.get("job_name") == job_name]
    if not jobs:
        raise KeyError(f"no scrape job named {job_name!r}")
    job = jobs[0]
    labels: dict[str, str] = {}
    for static in job.get("static_configs") or []:
        if isinstance(static, Mapping) and isinstance(static.get("labels"), Mapping):
            labels.update({str(k): str(v) for k, v in static["labels"].items()})
    job = {key: value for key, value in job.items() if key in KEPT_JOB_KEYS}
    if job.get("scheme") not in (None, "http"):
        job.pop("scheme")
    job["static_configs"] = [{"targets": [target], **({"labels": labels} if labels else {})}]
    job["scrape_interval"] = interval
    job["scrape_timeout"] = interval
    fast = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [job],
    }
    return yaml.safe_dump(fast, sort_keys=False)


# What fast_config keeps of the submission's job: nothing here names a file or another host.
KEPT_JOB_KEYS = frozenset(
    {
        "job_name", "metrics_path", "params", "scheme", "honor_labels", "honor_timestamps",
        "relabel_configs", "metric_relabel_configs", "sample_limit", "label_limit",
        "label_name_length_limit", "label_value_length_limit", "target_limit", "body_size_limit",
    }
)  # fmt: skip


def dropped_job_keys(config: Mapping[str, Any], job_name: str) -> list[str]:
    """Settings of ``job_name`` that :func:`fast_config` drops (beyond targets and intervals)."""
    replaced = {"static_configs", "scrape_interval", "scrape_timeout"}
    for job in config.get("scrape_configs") or []:
        if isinstance(job, Mapping) and job.get("job_name") == job_name:
            return sorted(str(k) for k in job if k not in KEPT_JOB_KEYS | replaced)
    return []


_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_DURATION_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
    "y": 31536000,
}


def parse_duration(text: str) -> float:
    """A Prometheus duration such as ``5m`` or ``1h30m`` in seconds; ``ValueError`` otherwise."""
    text = str(text).strip()
    if text == "0":
        return 0.0
    if not text or _DURATION_PART.sub("", text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return float(sum(int(n) * _DURATION_SECONDS[unit] for n, unit in _DURATION_PART.findall(text)))


def rules_without_intervals(rules: Mapping[str, Any]) -> str:
    """A rules file whose groups follow the global evaluation interval (their own removed)."""
    groups = [{k: v for k, v in g.items() if k != "interval"} for g in rules.get("groups") or []]
    return yaml.safe_dump({"groups": groups}, sort_keys=False)


# --------------------------------------------------------------------------- a real Prometheus
class PrometheusQueryError(RuntimeError):
    """Prometheus answered a query with an error (a bad expression, an unknown function...)."""


class ServerProcess(Protocol):
    """A started Prometheus as a :class:`Launcher` hands it back."""

    def alive(self) -> bool:
        """Still running?"""
        ...

    def stop(self) -> None:
        """Stop it (and wait for it) now."""
        ...

    def output(self) -> str:
        """What it printed so far."""
        ...


class Launcher(Protocol):
    """Where a :class:`PrometheusServer` runs and where its HTTP API is reachable from."""

    def start(self, argv: list[str], workdir: Path) -> ServerProcess:
        """Start ``argv`` (the prometheus command line) with ``workdir`` as its directory."""
        ...

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (a client of the server) where the server's 127.0.0.1 is."""
        ...


class _ChildProcess:
    """A plain child process whose output goes to ``prometheus.log`` in its directory."""

    def __init__(self, argv: list[str], workdir: Path) -> None:
        self.log_path = workdir / "prometheus.log"
        with self.log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class LocalLauncher:
    """The default: a child process of this one, reached on this process's 127.0.0.1."""

    def start(self, argv: list[str], workdir: Path) -> ServerProcess:
        """Start ``argv`` in ``workdir``."""
        return _ChildProcess(argv, workdir)

    def call(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` here."""
        return fn()


@dataclass
class PrometheusServer:
    """``with PrometheusServer(binary, config_text, workdir) as prom: prom.query("up")``.

    ``config_text`` is a complete ``prometheus.yml``; rule files it names are resolved relative to
    ``workdir``, where the configuration is written. Storage lives in ``workdir/data``.
    ``launcher`` (default :class:`LocalLauncher`) starts the process and runs the API's clients.
    """

    binary: str
    config_text: str
    workdir: Path
    start_timeout: float = 30.0
    port: int = field(default_factory=free_port)
    launcher: Launcher = field(default_factory=LocalLauncher)
    process: ServerProcess | None = None

    @property
    def url(self) -> str:
        """Base URL of the server's HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PrometheusServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(self.config_text)
        argv = [
            self.binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
        ]
        self.process = self.launcher.start(argv, self.workdir)
        process = self.process
        started = self.launcher.call(lambda: self._wait_ready(process))
        if started is not True:
            self.__exit__(None, None, None)
            if started == "exited":
                raise RuntimeError(f"prometheus exited at start:\n{self.log()}")
            raise TimeoutError(f"prometheus not ready after {self.start_timeout} s")
        return self

    def _wait_ready(self, process: ServerProcess) -> bool | str:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not process.alive():
                return "exited"
            try:
                with _OPENER.open(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        return "timeout"

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.stop()

    def log(self) -> str:
        """What the server printed so far (for assertion messages)."""
        return self.process.output() if self.process is not None else ""

    def _get(self, path: str, **params: str) -> Any:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"

        def fetch() -> Any:
            try:
                with _OPENER.open(url, timeout=10) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as exc:
                return json.loads(exc.read() or b"{}")

        body = self.launcher.call(fetch)
        if body.get("status") != "success":
            raise PrometheusQueryError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; ``[{"metric": {...labels}, "value": [ts, "text"]}, ...]``.

        Raises :class:`PrometheusQueryError` when Prometheus rejects the expression.
        """
        data = self._get("/api/v1/query", query=expr)
        return data["result"] if data["resultType"] == "vector" else [data]

    def series_names(self) -> set[str]:
        """Every metric name Prometheus has stored (what the scraped targets expose)."""
        return set(self._get("/api/v1/label/__name__/values"))

    def alerts(self) -> list[dict[str, Any]]:
        """Active alerts (pending and firing) with their labels and state."""
        return self._get("/api/v1/alerts")["alerts"]

    def rules(self) -> list[dict[str, Any]]:
        """Every loaded rule with its health and last evaluation error."""
        return [rule for group in self._get("/api/v1/rules")["groups"] for rule in group["rules"]]

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets with their health and last error."""
        return self._get("/api/v1/targets")["activeTargets"]

    def wait_for(
        self, probe: Callable[[], Any], timeout: float = 20.0, interval: float = 0.25
    ) -> Any:
        """Call ``probe`` until it returns something truthy, at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            time.sleep(interval)
        raise TimeoutError(f"condition not met within {timeout} s (last value {last!r})")
