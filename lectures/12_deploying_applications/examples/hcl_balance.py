"""A tiny well-formedness check for Terraform (HCL) files: balanced brackets and quotes.

HONEST LIMITATION: this is not a Terraform validator. ``terraform validate`` needs ``terraform
init``, which downloads the provider plugins, and the course environment is offline. This script
only catches the most common editing accidents — an unclosed ``{``, ``[`` or ``(``, an
unterminated string or ``${...}`` interpolation, a stray closing bracket — and lists the
top-level blocks, variables and resources so a test can cross-check references. If the
``terraform`` binary happens to be installed, also run ``terraform fmt -check`` (it parses the
files fully and needs no network).

Run it with ``uv run python lectures/12_deploying_applications/examples/hcl_balance.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TERRAFORM_DIR = Path(__file__).resolve().parent / "terraform"
PAIRS = {"}": "{", "]": "[", ")": "("}


@dataclass
class HclReport:
    """Result of checking one file."""

    path: str
    errors: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # e.g. 'resource "kubernetes_service_v1" "x"'

    @property
    def ok(self) -> bool:
        """True when no problems were found."""
        return not self.errors


def check_text(text: str, path: str = "<string>") -> HclReport:
    """Scan HCL text character by character, skipping comments and the inside of strings."""
    report = HclReport(path)
    stack: list[tuple[str, int]] = []  # (opening char, line)
    line = 1
    i = 0
    in_string = False
    string_line = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == "\n":
            if in_string:
                report.errors.append(f"{path}:{string_line}: string not closed on its line")
                in_string = False
            line += 1
        elif in_string:
            if ch == "\\":
                i += 1  # skip the escaped character
            elif ch == "$" and nxt == "{":
                stack.append(("${", line))
                in_string = False  # interpolation: code again until the matching }
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == "#" or (ch == "/" and nxt == "/"):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif ch == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            if end == -1:
                report.errors.append(f"{path}:{line}: block comment not closed")
                break
            line += text.count("\n", i, end)
            i = end + 2
            continue
        elif ch == '"':
            in_string, string_line = True, line
        elif ch in "{[(":
            stack.append((ch, line))
        elif ch in "}])":
            if not stack:
                report.errors.append(f"{path}:{line}: unexpected {ch!r}")
            else:
                opening, opened_at = stack.pop()
                if opening == "${" and ch == "}":
                    in_string = True  # back inside the string that held the interpolation
                elif opening != PAIRS[ch]:
                    report.errors.append(
                        f"{path}:{line}: {ch!r} closes {opening!r} opened on line {opened_at}"
                    )
        i += 1
    if in_string:
        report.errors.append(f"{path}:{string_line}: string not closed")
    for opening, opened_at in stack:
        report.errors.append(f"{path}:{opened_at}: {opening!r} is never closed")
    report.blocks = re.findall(
        r'^(terraform|provider "[^"]+"|variable "[^"]+"|resource "[^"]+" "[^"]+"|'
        r'output "[^"]+"|locals|module "[^"]+"|data "[^"]+" "[^"]+")\s*\{',
        text,
        flags=re.MULTILINE,
    )
    return report


def check_dir(directory: Path = TERRAFORM_DIR) -> list[HclReport]:
    """Check every ``*.tf`` file in a directory."""
    return [check_text(p.read_text(), p.name) for p in sorted(directory.glob("*.tf"))]


def main() -> None:
    """Check the lecture's Terraform files and print what was found."""
    for report in check_dir():
        status = "ok" if report.ok else "PROBLEMS"
        print(f"{report.path}: {status}; blocks: {', '.join(report.blocks)}")
        for error in report.errors:
            print(f"  {error}")
    broken = check_text('resource "x" "y" {\n  name = "churn\n', "broken.tf")
    print("\na deliberately broken snippet is rejected:")
    for error in broken.errors:
        print(f"  {error}")


if __name__ == "__main__":
    main()
