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
  :meth:`~PrometheusServer.targets`, :meth:`~PrometheusServer.wait_for`.
"""

from __future__ import annotations

import json
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
from typing import Any

import yaml

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

    What the submission chose for that job (metrics path, labels, relabelling) is kept; its
    targets, intervals and timeouts are replaced, and Alertmanager, remote storage and other jobs
    are dropped. Raises ``KeyError`` when the configuration has no job of that name.
    """
    jobs = [dict(j) for j in config.get("scrape_configs") or [] if j.get("job_name") == job_name]
    if not jobs:
        raise KeyError(f"no scrape job named {job_name!r}")
    job = jobs[0]
    labels: dict[str, str] = {}
    for static in job.get("static_configs") or []:
        labels.update(static.get("labels") or {})
    for key in list(job):
        if key.endswith("_sd_configs") or key in {"static_configs", "scrape_interval"}:
            job.pop(key)
    job["static_configs"] = [{"targets": [target], **({"labels": labels} if labels else {})}]
    job["scrape_interval"] = interval
    job["scrape_timeout"] = interval
    fast = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [job],
    }
    return yaml.safe_dump(fast, sort_keys=False)


def rules_without_intervals(rules: Mapping[str, Any]) -> str:
    """A rules file whose groups follow the global evaluation interval (their own removed)."""
    groups = [{k: v for k, v in g.items() if k != "interval"} for g in rules.get("groups") or []]
    return yaml.safe_dump({"groups": groups}, sort_keys=False)


# --------------------------------------------------------------------------- a real Prometheus
class PrometheusQueryError(RuntimeError):
    """Prometheus answered a query with an error (a bad expression, an unknown function...)."""


@dataclass
class PrometheusServer:
    """``with PrometheusServer(binary, config_text, workdir) as prom: prom.query("up")``.

    ``config_text`` is a complete ``prometheus.yml``; rule files it names are resolved relative to
    ``workdir``, where the configuration is written. Storage lives in ``workdir/data``.
    """

    binary: str
    config_text: str
    workdir: Path
    start_timeout: float = 30.0
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL of the server's HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PrometheusServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(self.config_text)
        self.log_path = self.workdir / "prometheus.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=1h",
                ],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited at start:\n{self.log()}")
            try:
                with _OPENER.open(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise TimeoutError(f"prometheus not ready after {self.start_timeout} s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        """What the server printed so far (for assertion messages)."""
        return self.log_path.read_text(errors="replace") if hasattr(self, "log_path") else ""

    def _get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        try:
            with _OPENER.open(f"{self.url}{path}?{query}", timeout=10) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
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
