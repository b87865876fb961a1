"""Write a simulated class: one git repository per student, the submissions CSV, the ground truth.

Layout under ``OUT``::

    OUT/<hw>/repos/<student>/     a git repository (first commit: the base; last: the submission)
    OUT/<hw>/submissions.csv      student_id,repository,ref   (what `grader batch --submissions` reads)
    OUT/ground_truth.json         each student's base and variation; the pairs similarity must flag
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from grader.course.config import CourseConfig
from grader.course.final import days_late
from grader.errors import UsageError
from grader.semester import gitrepo
from grader.semester.disguise import disguise_tree
from grader.semester.roster import Homework, Roster, Student
from grader.semester.variations import VARIATIONS

SKIP = shutil.ignore_patterns(".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".git")
FIRST_COMMIT_BEFORE = dt.timedelta(days=6)


@dataclass
class GeneratedHomework:
    """What was written for one homework."""

    homework: str
    submissions: Path
    students: dict[str, dict] = field(default_factory=dict)
    must_flag: list[tuple[str, str]] = field(default_factory=list)
    must_not_flag: list[tuple[str, str]] = field(default_factory=list)
    planted_copies: list[tuple[str, str]] = field(default_factory=list)


def unavailable(roster: Roster, wanted: list[str]) -> dict[str, str]:
    """Homework asked for that cannot be generated, with the reason (unknown ones raise)."""
    unknown = [hw for hw in wanted if hw not in roster.homeworks]
    if unknown:
        raise UsageError(
            f"no homework {', '.join(unknown)} in the roster (have {', '.join(roster.homeworks)})"
        )
    return {hw: roster.homeworks[hw].reason for hw in wanted if not roster.homeworks[hw].available}


def _materialise(homework: Homework, student: Student, repo: Path) -> None:
    source = homework.starter if student.base == "starter" else homework.bases[student.base].path
    assert source is not None
    shutil.copytree(source, repo, ignore=SKIP)
    for destination, origin in homework.course_files.items():
        target = repo / destination
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=SKIP)
        else:
            shutil.copy2(origin, target)


def _write_student(
    homework: Homework, student: Student, repos: Path, deadline: dt.datetime, seed: int
) -> dict:
    repo = repos / student.id
    rng = random.Random(f"{seed}-{homework.id}-{student.id}")
    submitted = deadline + student.submitted
    if student.copy_of:
        shutil.copytree(repos / student.copy_of, repo, ignore=SKIP)
        gitrepo.init(repo)
        disguise_tree(repo, seed=rng.randrange(2**31))
        change = f"a disguised copy of {student.copy_of} (locals renamed, functions reordered)"
        sha = gitrepo.commit_all(repo, f"{homework.id}", submitted, student.id)
    else:
        _materialise(homework, student, repo)
        gitrepo.init(repo)
        gitrepo.commit_all(repo, "start", submitted - FIRST_COMMIT_BEFORE, student.id)
        base = homework.bases.get(student.base)
        change = VARIATIONS[student.variation](repo, base, homework, rng)
        sha = gitrepo.commit_all(repo, f"{homework.id}: {student.variation}", submitted, student.id)
    return {
        "base": student.base,
        "variation": student.variation,
        "copy_of": student.copy_of,
        "change": change,
        "repository": str(repo),
        "commit": sha,
        "submitted_at": gitrepo.commit_time(repo).isoformat(),
    }


def generate_homework(
    homework: Homework, out: Path, config: CourseConfig, seed: int = 2026
) -> GeneratedHomework:
    """Every student's repository of one homework, and its submissions CSV."""
    if homework.id not in config.deadlines:
        raise UsageError(f"{homework.id} has no deadline in the course config")
    deadline = config.deadlines[homework.id]
    repos = out / homework.id / "repos"
    if repos.exists():
        raise UsageError(f"{repos} exists already: generate into a fresh directory")
    repos.mkdir(parents=True)
    result = GeneratedHomework(homework.id, out / homework.id / "submissions.csv")
    ordered = sorted(homework.students, key=lambda s: s.copy_of is not None)  # originals first
    for student in ordered:
        record = _write_student(homework, student, repos, deadline, seed)
        record["days_late"] = days_late(record["submitted_at"], deadline, config.grace_minutes)
        record["beyond_max_days_late"] = record["days_late"] > config.max_days_late
        result.students[student.id] = record
        if student.copy_of:
            result.planted_copies.append(tuple(sorted((student.copy_of, student.id))))
    for a, b in combinations(sorted(result.students), 2):
        base_a, base_b = result.students[a]["base"], result.students[b]["base"]
        same = base_a == base_b and base_a != "starter"
        (result.must_flag if same else result.must_not_flag).append((a, b))
    with result.submissions.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["student_id", "repository", "ref"])
        for student_id, record in sorted(result.students.items()):
            writer.writerow([student_id, record["repository"], record["commit"]])
    return result


def write_ground_truth(
    out: Path, generated: dict[str, GeneratedHomework], skipped: dict[str, str]
) -> Path:
    """``ground_truth.json``: per homework, each student's origin and the pairs that must (not) be flagged.

    A pair must be flagged when both students' code comes from the same base (the planted copy is
    one of them); a pair must not be flagged when the sources differ or both only share the starter.
    """
    document = {
        "homework": {
            hw: {
                "students": result.students,
                "planted_copies": [list(p) for p in result.planted_copies],
                "must_flag": [list(p) for p in result.must_flag],
                "must_not_flag": [list(p) for p in result.must_not_flag],
            }
            for hw, result in generated.items()
        },
        "not_available": skipped,
    }
    path = out / "ground_truth.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
