"""Run promtool and a real Prometheus server from tests, and check Alertmanager configs offline.

A small, dependency-free module (standard library plus PyYAML) meant to be reused: the lecture 10
tests use it today, and the grader's monitoring stage can import it later. Everything binds to
127.0.0.1, every wait is bounded, and every process it starts is stopped when the ``with`` block
ends, even after a failure.

* ``promtool(...)`` runs ``promtool check rules``/``check config``/``test rules`` and returns the
  completed process.
* ``PrometheusServer`` starts ``prometheus`` with a given configuration on a free port, waits for
  ``/-/ready``, and answers instant queries and the list of active alerts.
* ``check_alertmanager_config`` validates an Alertmanager configuration structurally (amtool is
  not available on the course machines); ``inhibited`` applies its inhibit rules to a set of
  alerts the way Alertmanager does, so a test can prove that an inhibition can match.
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
from typing import Any

import yaml

Labels = Mapping[str, str]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def promtool(
    binary: str, *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``promtool ARGS`` (e.g. ``"test", "rules", "rules_test.yml"``) and return the result."""
    return subprocess.run(
        [binary, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


# --------------------------------------------------------------------------- a real Prometheus
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
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                self.binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h",
            ],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited at start:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
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
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=5) as response:
            body = json.loads(response.read())
        if body.get("status") != "success":
            raise RuntimeError(f"{path} failed: {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; returns ``[{"metric": {...labels}, "value": [ts, "text"]}, ...]``."""
        data = self._get("/api/v1/query", query=expr)
        return data["result"] if data["resultType"] == "vector" else [data]

    def alerts(self) -> list[dict[str, Any]]:
        """Active alerts (pending and firing) with their labels and state."""
        return self._get("/api/v1/alerts")["alerts"]

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets with their health and last error."""
        return self._get("/api/v1/targets")["activeTargets"]

    def wait_for(
        self,
        probe: Callable[[], Any],
        timeout: float = 20.0,
        interval: float = 0.25,
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


def prometheus_binary() -> str | None:
    """Path of the ``prometheus`` server binary, if installed."""
    return shutil.which("prometheus")


# --------------------------------------------------------------------------- Alertmanager
MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


@dataclass(frozen=True)
class Matcher:
    """One Alertmanager matcher such as ``severity="critical"`` or ``alertname=~"ChurnApi.+"``."""

    name: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """Parse the quoted matcher syntax; raises ValueError on anything else."""
        match = MATCHER.match(text)
        if not match:
            raise ValueError(f"not a matcher: {text!r}")
        name, op, value = match.groups()
        if op in {"=~", "!~"}:
            re.compile(value)  # raises re.error on a broken expression
        return cls(name, op, value)

    def matches(self, labels: Labels) -> bool:
        """Alertmanager semantics: a missing label is the empty string; regexes are anchored."""
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        full = re.fullmatch(self.value, actual) is not None
        return full if self.op == "=~" else not full


def _matchers(texts: Sequence[str]) -> list[Matcher]:
    return [Matcher.parse(text) for text in texts]


DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


def check_alertmanager_config(config: Mapping[str, Any]) -> list[str]:
    """Problems amtool would also reject (or that make a rule useless); empty when fine."""
    problems: list[str] = []
    receivers = [r.get("name") for r in config.get("receivers", [])]
    if len(receivers) != len(set(receivers)):
        problems.append("duplicate receiver names")

    def walk(route: Mapping[str, Any], where: str) -> None:
        receiver = route.get("receiver")
        if receiver is not None and receiver not in receivers:
            problems.append(f"{where}: receiver {receiver!r} is not defined")
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if key in route and not DURATION.match(str(route[key])):
                problems.append(f"{where}: {key}={route[key]!r} is not a duration")
        for text in route.get("matchers", []):
            try:
                Matcher.parse(text)
            except (ValueError, re.error) as exc:
                problems.append(f"{where}: {exc}")
        for i, child in enumerate(route.get("routes", [])):
            walk(child, f"{where}.routes[{i}]")

    root = config.get("route")
    if not root or not root.get("receiver"):
        problems.append("the root route needs a receiver")
    else:
        walk(root, "route")
    for i, rule in enumerate(config.get("inhibit_rules", [])):
        where = f"inhibit_rules[{i}]"
        for key in ("source_matchers", "target_matchers"):
            if not rule.get(key):
                problems.append(f"{where}: {key} is empty")
            for text in rule.get(key, []):
                try:
                    Matcher.parse(text)
                except (ValueError, re.error) as exc:
                    problems.append(f"{where}: {exc}")
        if not rule.get("equal"):
            problems.append(f"{where}: without `equal` one alert inhibits every target everywhere")
    return problems


def load_alertmanager_config(path: Path) -> dict[str, Any]:
    """Read an Alertmanager YAML file."""
    return yaml.safe_load(path.read_text())


def inhibited(alerts: Sequence[Labels], inhibit_rules: Sequence[Mapping[str, Any]]) -> list[bool]:
    """For each firing alert (its labels), whether Alertmanager's inhibit rules would mute it.

    As in Alertmanager: a target is muted when some *other* firing alert matches the rule's source
    matchers and agrees on every label in ``equal`` (a label missing on one side is the empty
    string, so it differs from a present one).
    """
    result = []
    for target in alerts:
        muted = False
        for rule in inhibit_rules:
            if not all(m.matches(target) for m in _matchers(rule.get("target_matchers", []))):
                continue
            sources = _matchers(rule.get("source_matchers", []))
            for source in alerts:
                if source is target or not all(m.matches(source) for m in sources):
                    continue
                if all(source.get(n, "") == target.get(n, "") for n in rule.get("equal", [])):
                    muted = True
        result.append(muted)
    return result
