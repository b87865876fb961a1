"""Offline checks of an Alertmanager configuration (amtool is not installed on the course machines).

* :func:`check_alertmanager_config` — problems amtool would also reject (or that make a rule
  useless): undefined receivers, matchers that do not parse, durations that are not durations,
  inhibit rules without ``equal``;
* :func:`inhibited` — Alertmanager's inhibit rules applied to a set of firing alerts, so a test
  can prove that an inhibition can match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Labels = Mapping[str, str]
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
