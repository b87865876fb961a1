"""Semantic versioning in fifty lines: parse, order, bump and check compatibility.

Implements the precedence rules of https://semver.org (2.0.0) and applies them to a model
service: what kind of change to the churn API is a MAJOR, MINOR or PATCH release.

Run: uv run python lectures/05_versioning/examples/semver.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

# The pattern semver.org recommends, slightly compacted.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


@total_ordering
@dataclass(frozen=True)
class Version:
    """A semantic version; build metadata is kept but ignored when comparing."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse "1.4.0-rc.1+git.3f2a"; raise ValueError for anything that is not semver."""
        match = SEMVER.match(text)
        if match is None:
            raise ValueError(f"not a semantic version: {text!r}")
        major, minor, patch, pre, build = match.groups()
        return cls(
            int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else (), build or ""
        )

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        return text + (f"+{self.build}" if self.build else "")

    def _key(self) -> tuple[object, ...]:
        # A release sorts after its pre-releases; numeric identifiers sort below alphanumeric ones.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, not self.prerelease, pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def bump(self, part: str) -> Version:
        """Next release after a change of kind "major", "minor" or "patch"."""
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown part {part!r}")

    def is_compatible_with(self, required: Version) -> bool:
        """Caret rule (^required): same major (same minor while major is 0), and not older."""
        if self.major != required.major or self < required:
            return False
        return self.major != 0 or self.minor == required.minor


CHURN_API_CHANGES = [
    ("fix: total_charges=null no longer crashes /predict", "patch"),
    ("feat: add optional 'explain' flag to the response", "minor"),
    ("feat: new /predict/batch endpoint", "minor"),
    ("retrain on this month's data, same schema and metrics floor", "patch"),
    ("breaking: rename churn_probability -> score", "major"),
]


def release_history(start: str = "1.0.0") -> list[tuple[str, str]]:
    """Apply CHURN_API_CHANGES in order; return (change, new version) pairs."""
    version = Version.parse(start)
    history = []
    for change, part in CHURN_API_CHANGES:
        version = version.bump(part)
        history.append((change, str(version)))
    return history


def main() -> None:
    """Print an ordering example, a release history and a few compatibility checks."""
    shuffled = ["1.0.0", "1.0.0-rc.1", "1.0.0-alpha", "1.0.0-beta.11", "1.0.0-beta.2", "0.9.12"]
    ordered = sorted(Version.parse(v) for v in shuffled)
    print("sorted:", " < ".join(str(v) for v in ordered))
    print("1.4.0+build.7 == 1.4.0:", Version.parse("1.4.0+build.7") == Version.parse("1.4.0"))
    print("release history of the churn API:")
    for change, version in release_history():
        print(f"  {version:>6}  {change}")
    client_needs = Version.parse("1.2.0")
    for candidate in ["1.2.0", "1.9.3", "2.0.0", "1.1.9"]:
        ok = Version.parse(candidate).is_compatible_with(client_needs)
        print(f"client built against ^{client_needs}: server {candidate} -> {'ok' if ok else 'NO'}")


if __name__ == "__main__":
    main()
