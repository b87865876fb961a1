"""Class-scale grading: deterministic shards and joining their gradebooks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.course.gradebook import COLUMNS, merge_gradebooks, render_gradebook
from grader.errors import UsageError
from grader.grading.shard import parse_shard, select_shard

ROOT = Path(__file__).resolve().parents[2]


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=120
    )


def test_shards_partition_the_class_evenly_whatever_the_input_order() -> None:
    students = [f"s{i:03d}" for i in range(301)]
    shards = [select_shard(students, k, 7) for k in range(1, 8)]
    assert sorted(s for shard in shards for s in shard) == students
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    assert select_shard(list(reversed(students)), 3, 7) == shards[2]


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "1-4", ""])
def test_bad_shard_specs_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_shard(text)


def _gradebook(path: Path, students: list[str], homework: str = "hw1") -> Path:
    rows = [
        dict.fromkeys(COLUMNS, "")
        | {"student_id": s, "homework": homework, "points": "50", "status": "graded"}
        for s in students
    ]
    path.write_text(render_gradebook(rows))
    return path


def test_merge_joins_shards_into_one_sorted_gradebook(tmp_path: Path) -> None:
    one = _gradebook(tmp_path / "1.csv", ["b", "d"])
    two = _gradebook(tmp_path / "2.csv", ["a", "c"])
    out = tmp_path / "gradebook.csv"
    done = grader("merge", "hw1", str(one), str(two), "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == ["a", "b", "c", "d"]


def test_merge_refuses_a_student_in_two_shards(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="student b"):
        merge_gradebooks(
            [_gradebook(tmp_path / "1.csv", ["a", "b"]), _gradebook(tmp_path / "2.csv", ["b"])]
        )


def test_merge_refuses_mixed_homework_and_foreign_csvs(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="different homework"):
        merge_gradebooks(
            [_gradebook(tmp_path / "1.csv", ["a"]), _gradebook(tmp_path / "2.csv", ["b"], "hw2")]
        )
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("name,score\nx,1\n")
    done = grader("merge", "hw1", str(foreign))
    assert done.returncode == 2
    assert "not a gradebook" in done.stderr


def test_batch_refuses_an_empty_shard_and_similarity_per_shard(tmp_path: Path) -> None:
    student = tmp_path / "only"
    student.mkdir()
    done = grader("batch", "hw1", str(student), "--shard", "2/2", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "empty" in done.stderr
    done = grader(
        "batch", "hw1", str(student), "--shard", "1/2", "--similarity", "--out", str(tmp_path / "o")
    )
    assert done.returncode == 2
    assert "whole class" in done.stderr


def _plan(tmp_path: Path, students: int) -> dict[str, str]:
    """Run the regrade workflow's plan step (its own Python, extracted from the YAML)."""
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "regrade.yml").read_text())
    script = workflow["jobs"]["plan"]["steps"][-1]["run"]
    code = script.split("<<'PY' >> \"$GITHUB_OUTPUT\"\n", 1)[1].rsplit("PY", 1)[0]
    submissions = tmp_path / "submissions.csv"
    submissions.write_text(
        "student_id,repository,ref\n"
        + "".join(f"s{i:03d},org/hw1-s{i:03d},\n" for i in range(students))
    )
    done = subprocess.run(
        [sys.executable, "-c", __import__("textwrap").dedent(code)],
        capture_output=True,
        text=True,
        env={"SUBMISSIONS": str(submissions)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


def test_regrade_plans_one_job_per_student_up_to_the_matrix_limit(tmp_path: Path) -> None:
    import json

    plan = _plan(tmp_path, 256)
    assert plan["mode"] == "students"
    assert len(json.loads(plan["matrix"])["include"]) == 256


def test_regrade_plans_shards_for_a_class_beyond_the_matrix_limit(tmp_path: Path) -> None:
    import json

    plan = _plan(tmp_path, 300)
    assert plan["mode"] == "shards"
    include = json.loads(plan["matrix"])["include"]
    assert len(include) == 256
    assert {item["shard"] for item in include} == set(range(1, 257))
