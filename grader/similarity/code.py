"""Code similarity: winnowed fingerprints (copydetect) of each submission against every other.

Each submission's code files are joined into one document, so moving a function to another file
or reordering functions does not hide a copy; copydetect's tokenizer replaces names with
placeholders, so renaming variables does not either. Fingerprints that also occur in the starter
are boilerplate and never count.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from grader.course.config import SimilaritySettings

SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules"}


@dataclass(frozen=True)
class Segment:
    """Where one source file sits inside the joined document."""

    path: str
    start: int
    end: int
    text: str


@dataclass
class Document:
    """A submission's code as one document, with the files it came from."""

    owner: str
    code: str
    segments: list[Segment]

    def locate(self, start: int, end: int) -> str:
        """``file:first-last`` lines of the character range ``[start, end)``."""
        for segment in self.segments:
            if segment.start <= start < segment.end:
                first = segment.text.count("\n", 0, start - segment.start) + 1
                last = (
                    segment.text.count(
                        "\n", 0, max(start, min(end, segment.end) - 1) - segment.start
                    )
                    + 1
                )
                return f"{segment.path}:{first}-{last}"
        return f"?:{start}-{end}"


@dataclass
class PairMatch:
    """How much of two submissions' code is shared (beyond the starter)."""

    a: str
    b: str
    similarity_a: float  # share of a's fingerprinted code found in b
    similarity_b: float
    overlap_tokens: int
    regions_a: list[str] = field(default_factory=list)
    regions_b: list[str] = field(default_factory=list)
    slices_a: list[tuple[int, int]] = field(default_factory=list)
    slices_b: list[tuple[int, int]] = field(default_factory=list)

    @property
    def similarity(self) -> float:
        """The larger of the two shares: copying half of a larger project still counts."""
        return max(self.similarity_a, self.similarity_b)


def read_document(owner: str, root: Path, settings: SimilaritySettings) -> Document:
    """Join the code files of ``root`` (sorted by path) into one document."""
    parts: list[str] = []
    segments: list[Segment] = []
    offset = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if set(relative.parts) & SKIP_DIRS or not path.is_file() or path.is_symlink():
            continue
        if path.suffix.lstrip(".") not in settings.extensions:
            continue
        if any(relative.match(pattern) for pattern in settings.exclude):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not text.endswith("\n"):
            text += "\n"
        segments.append(Segment(relative.as_posix(), offset, offset + len(text), text))
        parts.append(text)
        offset += len(text)
    return Document(owner, "".join(parts), segments)


def _fingerprint(document: Document, settings: SimilaritySettings, boilerplate: list[int]):
    from copydetect import CodeFingerprint

    return CodeFingerprint(
        f"{document.owner}.py",
        settings.noise_threshold,
        settings.window,
        boilerplate=boilerplate,
        fp=io.StringIO(document.code),
    )


def compare_all(
    documents: list[Document], starter: Document | None, settings: SimilaritySettings
) -> list[PairMatch]:
    """Every pair of documents, most similar first."""
    from copydetect import compare_files

    boilerplate: list[int] = []
    if starter is not None and starter.code:
        boilerplate = sorted(_fingerprint(starter, settings, []).hashes)
    prints = {d.owner: _fingerprint(d, settings, boilerplate) for d in documents if d.code}
    by_owner = {d.owner: d for d in documents}
    matches = []
    for a, b in combinations(sorted(prints), 2):
        overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        pairs_a = _slices(slices_a)
        pairs_b = _slices(slices_b)
        matches.append(
            PairMatch(
                a,
                b,
                round(float(sim_a), 4),
                round(float(sim_b), 4),
                int(overlap),
                [by_owner[a].locate(s, e) for s, e in pairs_a],
                [by_owner[b].locate(s, e) for s, e in pairs_b],
                pairs_a,
                pairs_b,
            )
        )
    matches.sort(key=lambda m: (-m.similarity, m.a, m.b))
    return matches


def _slices(slices) -> list[tuple[int, int]]:
    """copydetect's 2xN array of starts and ends as a list of pairs."""
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    return [(int(s), int(e)) for s, e in zip(slices[0], slices[1], strict=True)]
