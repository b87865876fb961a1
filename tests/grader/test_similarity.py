"""Similarity: a disguised copy is flagged, shared starter code and independent work are not."""

from __future__ import annotations

import csv
import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course.config import SimilaritySettings, load_course_config
from grader.semester.disguise import disguise_tree
from grader.similarity.behaviour import shared_failures

ROOT = Path(__file__).resolve().parents[2]
HW1 = ROOT / "homework" / "hw1_api"
IGNORE = shutil.ignore_patterns(".venv", "__pycache__", "data", "model", "uv.lock")


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alice: the reference; bob: alice disguised; carol: the Flask reference (independent);
    dave and erin: the starter with a line each of their own (they share only the starter)."""
    root = tmp_path_factory.mktemp("class")
    shutil.copytree(HW1 / "solution", root / "alice", ignore=IGNORE)
    shutil.copytree(HW1 / "solution", root / "bob", ignore=IGNORE)
    disguise_tree(root / "bob", seed=7)
    shutil.copytree(HW1 / "solution_flask", root / "carol", ignore=IGNORE)
    for name, line in (("dave", "GREETING = 'hi'\n"), ("erin", "ANSWER = 42\n")):
        shutil.copytree(HW1 / "starter", root / name, ignore=IGNORE)
        with (root / name / "app" / "main.py").open("a") as handle:
            handle.write(line)
    return root


@pytest.fixture(scope="module")
def report(classroom: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("similarity") / "out"
    done = grader("similarity", "hw1", str(classroom), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def flagged_pairs(out: Path, signal: str = "code") -> set[tuple[str, str]]:
    with (out / "similarity-hw1.csv").open() as handle:
        return {
            (row["student_a"], row["student_b"])
            for row in csv.DictReader(handle)
            if row["signal"] == signal
        }


def test_the_disguised_copy_looks_different_line_by_line(classroom: Path) -> None:
    original = (classroom / "alice" / "app" / "model.py").read_text().splitlines()
    copied = (classroom / "bob" / "app" / "model.py").read_text().splitlines()
    assert difflib.SequenceMatcher(None, original, copied).ratio() < 0.5


def test_only_the_copied_pair_is_flagged(report: Path) -> None:
    assert flagged_pairs(report) == {("alice", "bob")}


def test_the_csv_names_matching_regions_in_both_copies(report: Path) -> None:
    with (report / "similarity-hw1.csv").open() as handle:
        row = next(csv.DictReader(handle))
    assert float(row["similarity_a"]) > 0.8
    assert "app/model.py:" in row["regions_a"]
    assert "app/model.py:" in row["regions_b"]


def test_the_html_report_marks_shared_code_and_escapes_it(report: Path) -> None:
    page = (report / "similarity-hw1.html").read_text()
    assert "<mark>" in page
    assert "alice ↔ bob" in page
    assert "<script" not in page


def test_without_the_starter_as_boilerplate_starter_only_pairs_would_be_flagged(
    classroom: Path,
) -> None:
    """The control: the starter exclusion is what keeps dave and erin apart."""
    from grader.similarity.analyse import analyse, read_documents, submission_dirs

    settings = load_course_config().similarity
    documents = read_documents(submission_dirs(classroom), settings)
    flagged = {(p.a, p.b) for p in analyse("hw1", documents, settings, None).flagged}
    assert ("dave", "erin") in flagged


def _report(
    student: str, failures: list[tuple[str, str]], visible: bool = False, points: float = 2
) -> dict:
    checks = [
        {
            "id": check_id,
            "status": "failed",
            "feedback": feedback,
            "visibility": "visible" if visible else "hidden",
            "points": points,
            "max_points": 5,
        }
        for check_id, feedback in failures
    ]
    checks.append(
        {"id": "api.ok", "status": "passed", "visibility": "hidden", "points": 5, "max_points": 5}
    )
    return {"student_id": student, "checks": checks}


def test_identical_rare_failures_are_flagged_common_ones_are_not() -> None:
    settings = SimilaritySettings(min_shared_failures=2, max_group=3)
    odd = [("api.batch", "case b3: got 0.12, expected 0.31"), ("api.limits", "1001 accepted")]
    common = [("api.predict", "501 Not Implemented"), ("api.batch", "501 Not Implemented")]
    reports = {
        "p": _report("p", odd),
        "q": _report("q", odd),
        "r": _report("r", odd[:1]),  # one failure only: too little to be a signature
        "s": _report("s", odd[:1]),
        "v1": _report("v1", odd, visible=True),  # visible checks are not part of the signature
        "v2": _report("v2", odd, visible=True),
        # the same check missing entirely (0 points): everybody without it fails alike
        "m1": _report(
            "m1", [("api.batch", "404 on /predict/batch"), ("model.agreement", "not run")], points=0
        ),
        "m2": _report(
            "m2", [("api.batch", "404 on /predict/batch"), ("model.agreement", "not run")], points=0
        ),
        **{f"c{i}": _report(f"c{i}", common) for i in range(4)},  # a common mistake
    }
    pairs = shared_failures(reports, settings)
    assert [(p.a, p.b, p.checks) for p in pairs] == [("p", "q", ("api.batch", "api.limits"))]


def test_batch_reports_feed_the_behaviour_signal(classroom: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    odd = [("api.batch", "case b3: got 0.12"), ("api.limits", "1001 accepted")]
    for student in ("alice", "carol"):
        (reports / student).mkdir(parents=True)
        (reports / student / "report.json").write_text(json.dumps(_report(student, odd)))
    out = tmp_path / "out"
    done = grader("similarity", "hw1", str(classroom), "--out", str(out), "--reports", str(reports))
    assert done.returncode == 0, done.stderr
    assert flagged_pairs(out, "behaviour") == {("alice", "carol")}
    assert "behaviour  alice <-> carol" in done.stdout


def test_a_missing_class_directory_is_one_line() -> None:
    done = grader("similarity", "hw1", "/no/such/dir")
    assert done.returncode == 2
    assert "not a directory" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_class_of_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "only").mkdir()
    done = grader("similarity", "hw1", str(tmp_path))
    assert done.returncode == 2
    assert "at least two" in done.stderr


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        SimilaritySettings.from_table({"treshold": 0.5})
    with pytest.raises(ValueError, match="noise_threshold"):
        SimilaritySettings.from_table({"noise_threshold": 40, "guarantee_threshold": 30})
