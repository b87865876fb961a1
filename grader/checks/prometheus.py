"""The hw3 Prometheus checks: configuration, rules, the student's and the grader's rule tests, and a
real Prometheus scraping the job's service.

Everything reads the grader's copy of ``monitoring/`` (:class:`~grader.checks.monitoring_job.Workspace`)
and runs the Debian ``promtool``/``prometheus`` under the job's sandbox. Each ``check_*`` function
returns a :class:`~grader.checks.api.Verdict`; the stage records it.
"""

from __future__ import annotations

import glob
import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.checks.api import Verdict
from grader.checks.monitoring_job import HostileInput, Workspace, load_yaml, read_file
from grader.monitoring import prometheus as harness
from grader.monitoring.promql import metric_names

MAX_LISTED = 8
QUIET_WAIT_S = 10.0  # ServiceDown must be quiet at some moment of this while the service is up
SETTLE_AFTER_STOP_S = 4.0
HIDDEN_RUN_S = 30.0  # one promtool run of the hidden tests (they take well under a second)
HIDDEN_BUDGET_S = 120.0  # all of them, when they run one by one  # failed scrapes and an evaluation after the grader stops the service


@dataclass
class Rules:
    """The submission's rule files as the grader resolved them, and what they define."""

    paths: list[Path] = field(default_factory=list)  # copies in the workspace
    rules: list[dict[str, Any]] = field(default_factory=list)  # every rule, with "_file"
    problems: list[str] = field(default_factory=list)

    @property
    def alerts(self) -> dict[str, dict[str, Any]]:
        """Alerting rules by name (the first of a name wins)."""
        found: dict[str, dict[str, Any]] = {}
        for rule in self.rules:
            if isinstance(rule.get("alert"), str):
                found.setdefault(rule["alert"], rule)
        return found

    @property
    def recorded(self) -> set[str]:
        """Names of the recording rules."""
        return {str(r["record"]) for r in self.rules if isinstance(r.get("record"), str)}


@dataclass
class Inputs:
    """What every check of the stage reads: the configuration and the rules."""

    workspace: Workspace
    contract: Mapping[str, Any]  # the contract's "observability" section
    config: dict[str, Any] | None
    config_problem: str | None
    rules: Rules

    @property
    def job(self) -> str:
        """The contract's scrape job name."""
        return str(self.contract["prometheus"]["job_name"])

    @property
    def config_path(self) -> Path:
        """The copy of the submission's prometheus.yml."""
        return self.workspace.root / self.contract["prometheus"]["config"]

    @property
    def contract_alerts(self) -> list[dict[str, Any]]:
        """The contract's alerts (name, severity, max_for, ...)."""
        return list(self.contract["alerts"])


def _listed(problems: Sequence[str]) -> str:
    more = f"\n(+{len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
    return "\n".join(f"- {p}" for p in problems[:MAX_LISTED]) + more


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def load_inputs(workspace: Workspace, contract: Mapping[str, Any]) -> Inputs:
    """Read prometheus.yml and the rule files it names (inside ``monitoring/`` only) from the copy."""
    prom = contract["prometheus"]
    config_relative = str(prom["config"])
    config: dict[str, Any] | None = None
    problem: str | None = None
    try:
        text = read_file(workspace.root, config_relative)
        if text is None:
            why = [s for s in workspace.skipped if s.startswith(Path(config_relative).name)]
            problem = f"{config_relative} is missing" + (f" ({why[0]})" if why else "")
        else:
            loaded = load_yaml(text, config_relative)
            if isinstance(loaded, dict):
                config = loaded
            else:
                problem = f"{config_relative} is not a YAML mapping"
    except HostileInput as exc:
        problem = str(exc)
    rules = Rules()
    monitoring = workspace.monitoring
    config_dir = (workspace.root / config_relative).parent
    names = (config or {}).get("rule_files") or []
    if not isinstance(names, list):
        rules.problems.append("rule_files of prometheus.yml is not a list (refused)")
        names = []
    contract_rules = workspace.root / str(prom["rules"])
    paths: list[Path] = []
    for name in names:
        if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
            rules.problems.append(
                f"rule_files entry {name!r} is refused: name files inside monitoring/ by a "
                "relative path"
            )
            continue
        matched = sorted(Path(p) for p in glob.glob(str(config_dir / name)))
        matched = [p for p in matched if _inside(p, monitoring) and p.is_file()]
        if not matched:
            rules.problems.append(f"rule_files entry {name!r} matches no file in monitoring/")
        paths += [p for p in matched if p not in paths]
    if contract_rules.is_file() and contract_rules not in paths:
        paths.insert(0, contract_rules)
    for path in paths:
        where = str(path.relative_to(workspace.root))
        try:
            document = load_yaml(path.read_text(), where) or {}
        except HostileInput as exc:
            rules.problems.append(str(exc))
            continue
        groups = document.get("groups") if isinstance(document, dict) else None
        if not isinstance(groups, list):
            rules.problems.append(f"{where} has no list of groups")
            continue
        rules.paths.append(path)
        for group in groups:
            for rule in (group or {}).get("rules") or [] if isinstance(group, dict) else []:
                if isinstance(rule, dict):
                    rules.rules.append({**rule, "_file": where})
    return Inputs(workspace, contract, config, problem, rules)


def promtool_output(result: Any, lines: int = 12) -> str:
    """The end of a promtool run's output, for feedback."""
    return result.tail(lines) if result.output.strip() else "(no output)"


# --------------------------------------------------------------------------- prometheus.config
def check_config(inputs: Inputs, promtool: str) -> Verdict:
    """``promtool check config`` and ``check rules`` pass; the config loads the contract's rules
    file and has the contract's job."""
    if inputs.config is None:
        return Verdict(0.0, f"{inputs.config_problem}.")
    if not inputs.rules.alerts and not [p for p in inputs.rules.problems if "refused" in p]:
        # A stub earns nothing: promtool accepts an empty rule group, but there is nothing to judge.
        return Verdict(
            0.0,
            "not judged: your rule files define no alerting rule yet (promtool accepts an empty "
            f"group). Write the contract's alerts ({', '.join(a['name'] for a in inputs.contract_alerts)}) "
            f"in {inputs.contract['prometheus']['rules']}.",
        )
    problems: list[str] = []
    parts = 0.0
    refused = [p for p in inputs.rules.problems if "refused" in p]
    if refused:
        problems += refused
    else:
        result = inputs.workspace.run(
            [promtool, "check", "config", inputs.config_path.name], cwd=inputs.config_path.parent
        )
        if result.ok:
            parts += 1
        else:
            problems.append(f"promtool check config failed:\n{promtool_output(result)}")
    rules_file = inputs.workspace.root / str(inputs.contract["prometheus"]["rules"])
    if not rules_file.is_file():
        problems.append(f"{inputs.contract['prometheus']['rules']} is missing")
    else:
        result = inputs.workspace.run(
            [
                promtool,
                "check",
                "rules",
                *[
                    str(p.relative_to(inputs.workspace.monitoring))
                    for p in inputs.rules.paths or [rules_file]
                ],
            ],
            cwd=inputs.workspace.monitoring,
        )
        if result.ok:
            parts += 1
        else:
            problems.append(f"promtool check rules failed:\n{promtool_output(result)}")
    jobs = [
        j.get("job_name")
        for j in inputs.config.get("scrape_configs") or []
        if isinstance(j, Mapping)
    ]
    if inputs.job in jobs:
        parts += 0.5
    else:
        problems.append(
            f"no scrape job named {inputs.job!r} (found {jobs}): keep the contract's name"
        )
    named = inputs.config.get("rule_files")
    if rules_file in inputs.rules.paths and any(
        str(n).endswith(rules_file.name) for n in (named if isinstance(named, list) else [])
    ):
        parts += 0.5
    else:
        problems.append(f"rule_files of prometheus.yml does not load {rules_file.name}")
    if not problems:
        return Verdict(1.0, "promtool check config and check rules pass; the job is there.")
    return Verdict(parts / 3, _listed(problems))


# --------------------------------------------------------------------------- prometheus.rule_tests
def check_rule_tests(inputs: Inputs, promtool: str) -> Verdict:
    """The student's ``promtool test rules`` files pass and exercise every contract alert."""
    pattern = str(inputs.contract["prometheus"]["rule_tests"])
    files = sorted(p for p in inputs.workspace.root.glob(pattern) if p.is_file())
    if not files:
        return Verdict(0.0, f"no rule test files ({pattern}): write `promtool test rules` tests.")
    problems: list[str] = []
    exercised: set[str] = set()
    for path in files:
        where = str(path.relative_to(inputs.workspace.root))
        try:
            document = load_yaml(path.read_text(), where) or {}
        except HostileInput as exc:
            problems.append(str(exc))
            continue
        if not isinstance(document, dict):
            problems.append(f"{where} is not a promtool test file")
            continue
        refused = [
            n
            for n in document.get("rule_files") or []
            if not isinstance(n, str)
            or Path(n).is_absolute()
            or not _inside(path.parent / n, inputs.workspace.monitoring)
        ]
        if refused:
            problems.append(f"{where}: rule_files {refused} point outside monitoring/ (refused)")
            continue
        for test in document.get("tests") or []:
            for case in (test or {}).get("alert_rule_test") or [] if isinstance(test, dict) else []:
                if isinstance(case, dict) and isinstance(case.get("alertname"), str):
                    exercised.add(case["alertname"])
        result = inputs.workspace.run([promtool, "test", "rules", path.name], cwd=path.parent)
        if not result.ok:
            problems.append(f"{where} fails:\n{promtool_output(result, 20)}")
    wanted = [a["name"] for a in inputs.contract_alerts]
    missing = [name for name in wanted if name not in exercised]
    if problems:
        return Verdict(0.0, "Your rule tests must pass:\n" + _listed(problems))
    if missing:
        return Verdict(
            (len(wanted) - len(missing)) / len(wanted),
            f"{len(files)} test file(s) pass, but no alert_rule_test exercises {missing}.",
        )
    return Verdict(1.0, f"{len(files)} test file(s) pass and exercise every alert of the contract.")


# --------------------------------------------------------------------------- hidden rule tests
def flag_rate(submission: Path) -> float | None:
    """``train_flag_rate`` of the submission's ``model/metrics.json`` (None if unreadable)."""
    try:
        text = read_file(submission, "model/metrics.json")
        value = json.loads(text)["train_flag_rate"] if text else None
    except (HostileInput, ValueError, KeyError, TypeError):
        return None
    if isinstance(value, int | float) and 0 <= value <= 1 and math.isfinite(value):
        return float(value)
    return None


def share_placeholders(rate: float) -> dict[str, str]:
    """Predictions per minute (of 100) flagged and not, for the FlaggedShareDrift scenarios."""
    far = rate + 0.25 if rate + 0.25 <= 0.95 else rate - 0.25
    values: dict[str, str] = {}
    for name, share in (("far", far), ("near_above", rate + 0.08), ("near_below", rate - 0.08)):
        churn = min(100, max(0, round(share * 100)))
        values[f"churn_{name}"], values[f"rest_{name}"] = str(churn), str(100 - churn)
    return values


def alert_expressions(alert: str) -> dict[str, str]:
    """``firing``: 1 while ``alert`` fires, else 0; ``fired``: 1 if it fired in the last day."""
    selector = f'ALERTS{{alertname="{alert}", alertstate="firing"}}'
    return {
        "firing": f"(count({selector}) > bool 0) or vector(0)",
        "fired": f"(count(max_over_time({selector}[1d])) > bool 0) or vector(0)",
    }


_PLACEHOLDER = re.compile(r"<<(\w+)>>")


def render(template: str, values: Mapping[str, str]) -> str:
    """``template`` with every ``<<name>>`` replaced; ``KeyError`` names an unknown placeholder."""
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


@dataclass(frozen=True)
class Scenario:
    """One hidden test of one alert: its student-facing name and the promtool file to run."""

    alert: str
    name: str
    text: str


def hidden_scenarios(
    suite: Path, alerts: Sequence[str], rule_files: Sequence[Path], rate: float | None
) -> tuple[list[Scenario], dict[str, str]]:
    """The rendered scenarios per alert, and alerts whose scenarios cannot be built (and why)."""
    scenarios: list[Scenario] = []
    unavailable: dict[str, str] = {}
    for alert in alerts:
        template = (suite / f"{alert}.yml").read_text()
        values = {"rules": json.dumps([str(p) for p in rule_files]), **alert_expressions(alert)}
        if "<<churn_" in template:
            if rate is None:
                unavailable[alert] = (
                    "model/metrics.json has no train_flag_rate between 0 and 1, so the grader "
                    "cannot tell a drifted share from a normal one"
                )
                continue
            values.update(share_placeholders(rate))
        document = yaml.safe_load(render(template, values))
        for test in document["tests"]:
            single = {**document, "tests": [test]}
            scenarios.append(Scenario(alert, test["name"], yaml.safe_dump(single, sort_keys=False)))
    return scenarios, unavailable


def check_hidden_rule_tests(
    inputs: Inputs, promtool: str, suite: Path, submission: Path
) -> Verdict:
    """The grader's scenarios per contract alert; an alert scores when every scenario passes."""
    alerts = [a["name"] for a in inputs.contract_alerts]
    if not inputs.rules.paths:
        return Verdict(0.0, "No rule file could be read: " + "; ".join(inputs.rules.problems))
    scenarios, unavailable = hidden_scenarios(
        suite, alerts, inputs.rules.paths, flag_rate(submission)
    )
    hidden = inputs.workspace.root / "hidden"
    hidden.mkdir(exist_ok=True)

    def run(name: str, files: Sequence[Scenario]) -> bool:
        path = hidden / f"{name}.yml"
        texts = [yaml.safe_load(s.text) for s in files]
        document = {**texts[0], "tests": [t["tests"][0] for t in texts]}
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        inputs.workspace.hand_over()
        result = inputs.workspace.run(
            [promtool, "test", "rules", path.name], cwd=hidden, timeout=HIDDEN_RUN_S
        )
        return result.ok

    failed: dict[str, list[str]] = {alert: [] for alert in alerts}
    deadline = time.monotonic() + HIDDEN_BUDGET_S
    if scenarios and not run("all", scenarios):  # one run when everything passes
        for number, scenario in enumerate(scenarios):
            if time.monotonic() > deadline:
                failed[scenario.alert].append(f"{scenario.name} (not run: your rules are too slow)")
            elif not run(f"scenario-{number}", [scenario]):
                failed[scenario.alert].append(scenario.name)
    defined = inputs.rules.alerts
    lines, passed = [], 0
    for alert in alerts:
        if alert in unavailable:
            lines.append(f"- {alert}: not tested: {unavailable[alert]}")
        elif alert not in defined:
            lines.append(f"- {alert}: no alerting rule of that name")
        elif failed[alert]:
            lines.append(f"- {alert}: " + "; ".join(failed[alert]) + " (it did not)")
        else:
            passed += 1
            lines.append(f"- {alert}: every scenario passes")
    text = "\n".join(lines)
    if passed == len(alerts):
        return Verdict(1.0, f"Every alert passes the grader's scenarios:\n{text}")
    return Verdict(
        passed / len(alerts),
        f"{passed} of {len(alerts)} alerts pass every scenario of the grader's unit tests "
        "(an alert must fire in the 'fires' scenarios and stay quiet in the others):\n" + text,
    )


# --------------------------------------------------------------------------- a real Prometheus
def live_config(inputs: Inputs, target: str) -> str:
    """prometheus.yml for the grader's server: the contract's job pointed at ``target``, 1 s
    intervals, and the submission's rule files without their own evaluation intervals."""
    live = inputs.workspace.root / "live"
    live.mkdir(exist_ok=True)
    rule_paths = []
    for number, path in enumerate(inputs.rules.paths):
        document = yaml.safe_load(path.read_text()) or {}
        copy = live / f"rules-{number}.yml"
        copy.write_text(harness.rules_without_intervals(document))
        rule_paths.append(copy)
    assert inputs.config is not None
    return harness.fast_config(inputs.config, inputs.job, target, rule_paths)


def check_target_up(server: harness.PrometheusServer, job: str, timeout: float) -> Verdict:
    """The job's one target is up within ``timeout`` seconds."""
    try:
        server.wait_for(lambda: server.query(f'up{{job="{job}"}} == 1'), timeout=timeout)
    except TimeoutError:
        targets = server.targets()
        errors = "; ".join(
            f"{t['scrapeUrl']}: {t.get('lastError') or t['health']}" for t in targets
        )
        return Verdict(
            0.0,
            f"Prometheus could not scrape the service within {timeout:g} s ({errors or 'no target'}). "
            "The job's metrics_path must serve the Prometheus text format.",
        )
    return Verdict(1.0, f"Prometheus scrapes the {job} target: up == 1.")


def exposed_metrics(server: harness.PrometheusServer) -> set[str]:
    """Every metric name Prometheus stored (what the service exposes, plus up and scrape_*)."""
    return server.series_names()


def expression_problems(
    server: harness.PrometheusServer, expr: str, allowed: set[str]
) -> list[str]:
    """Why ``expr`` does not evaluate, or which names in it are not ``allowed``."""
    try:
        server.query(expr)
    except harness.PrometheusQueryError as exc:
        return [f"Prometheus rejects it ({exc})"]
    names = metric_names(expr)
    missing = sorted(names.selected - allowed)
    return [f"names {', '.join(missing)}, not exposed by your service"] if missing else []


def check_rules_evaluate(
    server: harness.PrometheusServer, inputs: Inputs, exposed: set[str]
) -> Verdict:
    """Every rule expression evaluates and names exposed metrics; contract alerts are well formed."""
    allowed = exposed | inputs.rules.recorded | {"up"}
    problems: list[str] = []
    rules = inputs.rules.rules
    bad_rules = 0
    for rule in rules:
        name = rule.get("alert") or rule.get("record") or "?"
        expr = rule.get("expr")
        found = (
            expression_problems(server, str(expr), allowed)
            if isinstance(expr, str | int | float)
            else ["no expr"]
        )
        if found:
            bad_rules += 1
            problems += [f"{name} ({rule['_file']}): {p}" for p in found]
    defined = inputs.rules.alerts
    bad_alerts = 0
    for alert in inputs.contract_alerts:
        rule = defined.get(alert["name"])
        found = alert_problems(rule, alert)
        if found:
            bad_alerts += 1
            problems += [f"{alert['name']}: {p}" for p in found]
    if not rules:
        problems.insert(0, "no rules at all")
    rule_share = (1 - bad_rules / len(rules)) if rules else 0.0
    alert_share = 1 - bad_alerts / len(inputs.contract_alerts)
    if not problems:
        return Verdict(
            1.0,
            f"{len(rules)} rule(s) evaluate on Prometheus and name only exposed metrics; every "
            "contract alert has its severity, a `for` within the bound and a summary.",
        )
    return Verdict(0.5 * rule_share + 0.5 * alert_share, _listed(problems))


def alert_problems(rule: Mapping[str, Any] | None, alert: Mapping[str, Any]) -> list[str]:
    """How one alerting rule differs from the contract's alert (severity, for, summary)."""
    if rule is None:
        return ["no alerting rule of that name"]
    problems = []
    labels = rule.get("labels") if isinstance(rule.get("labels"), dict) else {}
    if labels.get("severity") != alert["severity"]:
        problems.append(
            f"severity {labels.get('severity')!r}, the contract says {alert['severity']!r}"
        )
    bound = harness.parse_duration(alert["max_for"])
    try:
        waited = harness.parse_duration(str(rule.get("for", "0s")))
        if waited > bound:
            problems.append(f"for {rule.get('for')} is longer than {alert['max_for']}")
    except ValueError:
        problems.append(f"for {rule.get('for')!r} is not a duration")
    annotations = rule.get("annotations") if isinstance(rule.get("annotations"), dict) else {}
    if not str(annotations.get("summary") or "").strip():
        problems.append("no summary annotation")
    return problems


def check_service_down(
    server: harness.PrometheusServer, stop_service: Callable[[], None], alert: str, timeout: float
) -> Verdict:
    """``alert`` is quiet while the service is up, then pending or firing within ``timeout``
    seconds of the service's stop."""

    def down() -> list[dict[str, Any]]:
        return [
            a
            for a in server.alerts()
            if a["labels"].get("alertname") == alert and a["state"] in ("pending", "firing")
        ]

    # A slow scrape on a busy machine may make it pending for a moment: it must be quiet at some
    # point while the service is up, else it fires on everything.
    try:
        server.wait_for(lambda: not down(), timeout=QUIET_WAIT_S, interval=0.5)
    except TimeoutError:
        return Verdict(
            0.0,
            f"{alert} stayed pending or firing for {QUIET_WAIT_S:g} s while your service was up and "
            "scraped: it must fire only when the target is down or missing.",
        )
    started = time.monotonic()
    stop_service()

    def active_after_stop() -> list[dict[str, Any]]:
        # Judged only once Prometheus has seen failed scrapes (1 s scrapes, 1 s evaluation): an
        # alert that fires while the target is up is resolved by then.
        return down() if time.monotonic() - started >= SETTLE_AFTER_STOP_S else []

    try:
        (first, *_) = server.wait_for(active_after_stop, timeout=timeout, interval=0.5)
    except TimeoutError:
        return Verdict(
            0.0,
            f"The grader stopped your service; {alert} was neither pending nor firing "
            f"{timeout:g} s later (Prometheus evaluates rules every second here).",
        )
    seconds = time.monotonic() - started
    return Verdict(
        1.0, f"The grader stopped your service: {alert} was {first['state']} after {seconds:.0f} s."
    )
