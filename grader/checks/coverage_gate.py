"""The coverage gate a submission configures for pytest, read from its configuration files as data.

pytest's ``addopts`` (pyproject.toml, pytest.ini, setup.cfg, tox.ini) and coverage's
``fail_under`` (pyproject.toml, .coveragerc, setup.cfg, tox.ini): a workflow that runs plain
``uv run pytest`` keeps its gate there.
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

from grader.checks.workflow import YamlProblem, read_text_file

MAX_CONFIG_BYTES = 1_000_000


def configured_gate(src: Path) -> tuple[str, str | None]:
    """(pytest addopts, coverage fail_under) from the submission's configuration files."""
    addopts, fail_under = "", None
    try:
        pyproject = tomllib.loads(read_text_file(src / "pyproject.toml", MAX_CONFIG_BYTES))
    except (YamlProblem, tomllib.TOMLDecodeError, OSError):
        pyproject = {}
    tool = pyproject.get("tool") if isinstance(pyproject.get("tool"), dict) else {}
    options = (
        (tool.get("pytest") or {}).get("ini_options")
        if isinstance(tool.get("pytest"), dict)
        else None
    )
    if isinstance(options, dict):
        value = options.get("addopts", "")
        addopts = " ".join(map(str, value)) if isinstance(value, list) else str(value)
    report = (
        (tool.get("coverage") or {}).get("report")
        if isinstance(tool.get("coverage"), dict)
        else None
    )
    if isinstance(report, dict) and report.get("fail_under") is not None:
        fail_under = str(report["fail_under"])
    for name, pytest_section, coverage_section in (
        ("pytest.ini", "pytest", None),
        (".coveragerc", None, "report"),
        ("setup.cfg", "tool:pytest", "coverage:report"),
        ("tox.ini", "pytest", "coverage:report"),
    ):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(read_text_file(src / name, MAX_CONFIG_BYTES))
        except (YamlProblem, configparser.Error, OSError):
            continue
        if pytest_section and parser.has_option(pytest_section, "addopts"):
            addopts += " " + parser.get(pytest_section, "addopts")
        if coverage_section and parser.has_option(coverage_section, "fail_under"):
            fail_under = fail_under or parser.get(coverage_section, "fail_under")
    return addopts, fail_under
