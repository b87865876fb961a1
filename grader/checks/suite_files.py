"""Files of a homework's suite, inherited along the contract's ``extends`` chain.

hw2 extends hw1's contract, and hw1's hidden cases (valid customers, invalid and hostile inputs)
stay in force: hw2's suite does not copy them, it inherits ``cases.json`` from hw1's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.contracts import load_contract
from grader.rubric import Rubric


def suite_path(rubric: Rubric, contract: dict[str, Any], name: str) -> Path:
    """``<suites>/<hw>/<name>``, else the first homework up the ``extends`` chain that has it."""
    directory, current = rubric.directory, contract
    while True:
        if (directory / name).is_file():
            return directory / name
        parent = current.get("extends")
        if not parent:
            raise FileNotFoundError(f"no {name} in the suite of {rubric.homework} or its parents")
        directory, current = rubric.directory.parent / parent, load_contract(parent)


def suite_json(rubric: Rubric, contract: dict[str, Any], name: str) -> Any:
    """A suite's JSON file (see :func:`suite_path`)."""
    return json.loads(suite_path(rubric, contract, name).read_text())
