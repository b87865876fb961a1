"""The simulated class: roster validation, variations, commit dates, and a small semester end to end."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course.config import load_course_config
from grader.errors import UsageError
from grader.paths import suites_dir
from grader.semester import gitrepo
from grader.semester.disguise import disguise_file
from grader.semester.generate import generate_homework, unavailable
from grader.semester.render import render_roster_markdown
from grader.semester.roster import DEFAULT_ROSTER, format_offset, load_roster, parse_offset
from grader.semester.variations import VARIATIONS
from tests.grader.patch_fixtures import trim_rubric

ROOT = Path(__file__).resolve().parents[2]
SMALL_CLASS = """
[hw1]
available = true
starter = "homework/hw1_api/starter"
course_files = { "data/train.csv" = "data/train.csv", "tests/public" = "grader/suites/hw1/public" }

[hw1.bases.fastapi]
path = "homework/hw1_api/solution"

[hw1.bases.starlette]
path = "grader/semester/bases/hw1_starlette"

[[hw1.students]]
id = "ana"
base = "fastapi"
variation = "complete"
submitted = "-20h"

[[hw1.students]]
id = "ben"
copy_of = "ana"
submitted = "-1h"

[[hw1.students]]
id = "gia"
base = "starlette"
variation = "complete"
submitted = "+1d2h"

[[adjustments]]
student = "ana"
homework = "hw1"
points = 1
reason = "rehearsal: a TA's regrade"

[hw2]
available = true
starter = "homework/hw2_db_k8s/starter"
course_files = { "data/train.csv" = "data/train.csv", "tests/public" = "grader/suites/hw2/public" }

[hw2.bases.fastapi]
path = "homework/hw2_db_k8s/solution"

[hw2.bases.starlette]
path = "grader/semester/bases/hw2_starlette"

[[hw2.students]]
id = "ana"
base = "fastapi"
variation = "complete"
submitted = "-1d"

[[hw2.students]]
id = "ben"
copy_of = "ana"
submitted = "-3h"

[[hw2.students]]
id = "gia"
base = "starlette"
variation = "complete"
submitted = "-2h"

[hw3]
available = true
starter = "homework/hw3_ci_monitoring/starter"
course_files = { "data/train.csv" = "data/train.csv", "tests/public" = "grader/suites/hw3/public" }

[hw3.bases.fastapi]
path = "homework/hw3_ci_monitoring/solution"

[hw3.bases.starlette]
path = "grader/semester/bases/hw3_starlette"

[[hw3.students]]
id = "ana"
base = "fastapi"
variation = "complete"
submitted = "-2h"

[[hw3.students]]
id = "ben"
copy_of = "ana"
submitted = "-1h"

[[hw3.students]]
id = "gia"
base = "starlette"
variation = "complete"
submitted = "-5h"
"""
# What the small class's hw2 and hw3 are graded on: the service, its database and what it tells an
# operator, not the students' own suites, planted bugs, containers or cluster (graded in full on
# the references elsewhere): the end-to-end run checks the semester's plumbing within CI's budget.
SMALL_CLASS_HOMEWORK = ["hw1", "hw2", "hw3"]
SMALL_CLASS_STAGES = {
    "hw2": ["install", "static", "api", "database"],
    "hw3": ["install", "static", "delivery", "api", "database", "observability", "monitoring"],
}


def write_roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "class.toml"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- fast unit tests


def test_offsets_parse_signed_durations() -> None:
    assert parse_offset("-20h") == -dt.timedelta(hours=20)
    assert parse_offset("+1d6h") == dt.timedelta(days=1, hours=6)
    assert parse_offset("+10m") == dt.timedelta(minutes=10)
    with pytest.raises(ValueError, match="submitted must look like"):
        parse_offset("tomorrow")
    for text in ("-20h", "+1d6h", "+10m", "+9d"):
        assert format_offset(parse_offset(text)) == text


def test_the_roster_renders_for_the_runbook() -> None:
    text = render_roster_markdown()
    assert "| `ben` | fastapi | disguised copy of `ana` | -2h |" in text
    assert "| `dan` | flask | slow | -2d |" in text  # hw2
    assert "| `gia` | starlette | broken_tests | -2d |" in text  # hw3


def test_the_shipped_roster_is_valid_and_every_homework_is_available() -> None:
    roster = load_roster(DEFAULT_ROSTER)
    hw1 = roster.homeworks["hw1"]
    assert len(hw1.students) == 12
    assert {s.base for s in hw1.students} == {"fastapi", "flask", "starlette", "starter"}
    assert {s.variation for s in hw1.students} >= set(VARIATIONS)
    assert sum(s.copy_of is not None for s in hw1.students) == 1
    config = load_course_config()
    beyond = [s for s in hw1.students if s.submitted > dt.timedelta(days=config.max_days_late)]
    assert len(beyond) == 1
    hw2 = roster.homeworks["hw2"]
    assert len(hw2.students) == 6
    assert {s.base for s in hw2.students} == {"fastapi", "flask", "starlette", "starter"}
    assert sum(s.copy_of is not None for s in hw2.students) == 1
    assert unavailable(roster, ["hw1", "hw2", "hw3"]) == {}
    hw3 = roster.homeworks["hw3"]
    assert {s.base for s in hw3.students} == {"fastapi", "flask", "starlette", "starter"}
    assert sum(s.copy_of is not None for s in hw3.students) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('base = "starlette"', 'base = "django"'), "unknown base 'django'"),
        (('copy_of = "ana"', 'copy_of = "zed"'), "copy_of 'zed' is not an original student"),
        (
            (
                'variation = "complete"\nsubmitted = "-20h"',
                'variation = "starter_edits"\nsubmitted = "-20h"',
            ),
            "starter_edits goes with base",
        ),
        (('submitted = "-1h"', 'submitted = "soon"'), "submitted must look like"),
        (('id = "gia"', 'id = "ana"'), "listed twice"),
    ],
)
def test_invalid_rosters_are_one_line_errors(tmp_path: Path, change, message) -> None:
    text = SMALL_CLASS.replace(*change)
    assert text != SMALL_CLASS
    with pytest.raises(UsageError, match=message):
        load_roster(write_roster(tmp_path, text))


def test_a_disguise_keeps_the_module_working(tmp_path: Path) -> None:
    source = (
        "def _one(v):\n    return v + 1\n\n\ndef _two(v):\n    return v * 2\n\n\n"
        "FIRST = _two(_one(1))\n\n\n"
        "def _three(v):\n    return _one(v)\n\n\ndef _four(v):\n    return v - 1\n\n\n"
        "SECOND = _four(_three(5))\n\n\n"
        "class Limit:\n    def __init__(self, value=0):\n        self._value = value\n\n"
        "    def _double(self):\n        return 2 * self._value\n\n"
        "    def twice(self):\n        return self._double()\n\n\n"
        "THIRD = Limit(value=3).twice()\n"
    )
    orders = set()
    for seed in range(12):
        path = tmp_path / f"m{seed}.py"
        path.write_text(source)
        disguise_file(path, random.Random(seed))
        text = path.read_text()
        namespace: dict = {}
        exec(compile(text, str(path), "exec"), namespace)
        assert (namespace["FIRST"], namespace["SECOND"], namespace["THIRD"]) == (4, 5, 6)
        assert "_one_x" in text  # private functions renamed
        orders.add(text.index("def _one_x") < text.index("def _two_x"))
    assert orders == {True, False}  # functions still move, within their run


def test_unknown_homework_is_named(tmp_path: Path) -> None:
    roster = load_roster(write_roster(tmp_path, SMALL_CLASS))
    with pytest.raises(UsageError, match="no homework hw9"):
        unavailable(roster, ["hw9"])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """The shipped roster's hw1 class, written once (no grading)."""
    out = tmp_path_factory.mktemp("generated")
    roster = load_roster(DEFAULT_ROSTER)
    return generate_homework(roster.homeworks["hw1"], out, load_course_config(), seed=7)


def test_commit_times_sit_around_the_deadline(generated) -> None:
    config = load_course_config()
    deadline = config.deadlines["hw1"]
    roster = {s.id: s for s in load_roster(DEFAULT_ROSTER).homeworks["hw1"].students}
    for student, record in generated.students.items():
        repo = Path(record["repository"])
        assert gitrepo.commit_time(repo) == deadline + roster[student].submitted
        author = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%aI"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert dt.datetime.fromisoformat(author) == deadline + roster[student].submitted
    late = {s: r["days_late"] for s, r in generated.students.items()}
    assert late["ana"] == 0 and late["gia"] == 0  # gia: 10 minutes late, within the grace period
    assert late["cleo"] == 2 and late["finn"] == 9
    assert [s for s, r in generated.students.items() if r["beyond_max_days_late"]] == ["finn"]


def test_submissions_file_pins_each_head(generated) -> None:
    rows = list(csv.DictReader(generated.submissions.open()))
    assert len(rows) == 12
    for row in rows:
        head = subprocess.run(
            ["git", "-C", row["repository"], "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert row["ref"] == head


def _functions(path: Path) -> set[str]:
    return {
        n.name
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_variations_were_applied(generated) -> None:
    repos = Path(generated.submissions).parent / "repos"
    assert "predict_batch" in _functions(repos / "ana/app/routers/predict.py")
    assert "predict_batch" not in _functions(repos / "cleo/app/routers/predict.py")
    assert "predict_batch" not in (repos / "jon/app/main.py").read_text()  # the route entry too
    assert "predict_batch" in (repos / "gia/app/main.py").read_text()
    assert "sleep(0.05)" in (repos / "finn/app/main.py").read_text()
    assert "sleep(0.05)" in (repos / "ivy/app/main.py").read_text()
    assert "assert 1 + 1 == 3" in (repos / "eva/tests/test_wip.py").read_text()
    assert not (repos / "hal/README.md").exists()
    assert (repos / "hal/tests/public/test_public_api.py").is_file()
    assert not (repos / "hal/tests/test_routes.py").exists()
    for student in ("kai", "lea"):
        assert (repos / student / "data/train.csv").read_bytes() == (
            ROOT / "data/train.csv"
        ).read_bytes()
    ben = (repos / "ben/app/model.py").read_text()
    assert ben != (repos / "ana/app/model.py").read_text()
    assert "_x" in ben  # renamed locals


def test_ground_truth_pairs(generated) -> None:
    assert generated.planted_copies == [("ana", "ben")]
    assert ("ana", "ben") in generated.must_flag
    assert ("kai", "lea") in generated.must_not_flag  # they share only the starter
    assert ("ana", "dan") in generated.must_not_flag  # independent bases
    assert len(generated.must_flag) + len(generated.must_not_flag) == 66


def test_an_unavailable_homework_is_said_clearly(tmp_path: Path) -> None:
    head, _, _ = SMALL_CLASS.partition("[hw3]")
    without_hw3 = head + '[hw3]\navailable = false\nreason = "not built yet"\nstudents = 3\n'
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "semester",
            str(tmp_path / "out"),
            "--homework",
            "hw3",
            "--roster",
            str(write_roster(tmp_path, without_hw3)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "hw3: not available, skipped (not built yet)" in done.stderr
    assert "none of the homework asked for can be generated yet" in done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def semester(tmp_path_factory: pytest.TempPathFactory, require_full_isolation) -> Path:
    """A class of three (a complete one, its disguised copy, a late one) through every homework
    that is available, graded without load (hw2 and hw3 on SMALL_CLASS_STAGES)."""
    tmp = tmp_path_factory.mktemp("semester")
    out = tmp / "run"
    suites = tmp / "suites"
    shutil.copytree(suites_dir(None), suites)
    for hw, stages in SMALL_CLASS_STAGES.items():
        trim_rubric(suites, hw, stages)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "semester",
            str(out),
            "--homework",
            "hw1",
            "--homework",
            "hw2",
            "--homework",
            "hw3",
            "--jobs",
            "2",
            "--skip-load",
            "--roster",
            str(write_roster(tmp, SMALL_CLASS)),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        | {"GRADER_SUITES_DIR": str(suites)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_the_gradebook_and_the_final_gradebook_are_written(semester: Path) -> None:
    rows = {
        r["student_id"]: r
        for r in csv.DictReader((semester / "hw1/grades/gradebook-hw1.csv").open())
    }
    assert set(rows) == {"ana", "ben", "gia"}
    assert all(r["status"] == "graded" and float(r["points"]) > 50 for r in rows.values())
    # The third base (Starlette + msgspec) passes the public tests and its own suite.
    gia = json.loads((semester / "hw1/grades/gia/report.json").read_text())
    status = {c["id"]: c["status"] for c in gia["checks"]}
    assert status["tests.public"] == status["tests.student"] == status["api.validation"] == "passed"
    finals = {r["student_id"]: r for r in csv.DictReader((semester / "final-grades.csv").open())}
    assert set(finals) == {"ana", "ben", "gia"}
    assert "missing" not in finals["ana"]["notes"]
    # hw2 and hw3: the reference, its copy and the Starlette base, graded on SMALL_CLASS_STAGES.
    for hw in SMALL_CLASS_HOMEWORK[1:]:
        rows = {
            r["student_id"]: r
            for r in csv.DictReader((semester / f"{hw}/grades/gradebook-{hw}.csv").open())
        }
        assert set(rows) == {"ana", "ben", "gia"}, hw
        for student, row in rows.items():
            assert row["status"] == "graded", (hw, student)
            report = json.loads((semester / hw / "grades" / student / "report.json").read_text())
            failed = {c["id"] for c in report["checks"] if c["status"] != "passed"}
            # The disguised copy is unparsed code: a copier's reformatting costs the lint checks.
            allowed = {"static.ruff_lint", "static.ruff_format"} if student == "ben" else set()
            assert failed <= allowed, (hw, student, failed)
            assert float(finals[student][f"{hw}_score"]) > 0.9, (hw, student)


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_the_late_penalty_and_the_adjustment_are_applied(semester: Path) -> None:
    rows = {
        r["student_id"]: r
        for r in csv.DictReader((semester / "hw1/grades/gradebook-hw1.csv").open())
    }
    finals = {r["student_id"]: r for r in csv.DictReader((semester / "final-grades.csv").open())}
    config = load_course_config()
    gia = finals["gia"]
    assert gia["hw1_days_late"] == "2"
    expected = (
        float(rows["gia"]["points"])
        / float(rows["gia"]["max_points"])
        * (1 - 2 * config.penalty_per_day)
    )
    assert float(gia["hw1_score"]) == pytest.approx(expected, abs=1e-4)
    assert "hw1 2 day(s) late" in gia["notes"]
    assert float(finals["ana"]["hw1_points"]) == pytest.approx(float(rows["ana"]["points"]) + 1)
    assert "rehearsal: a TA's regrade" in finals["ana"]["notes"]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_similarity_flags_exactly_the_copied_pair(semester: Path) -> None:
    summary = json.loads((semester / "summary.json").read_text())
    similarity = summary["homework"]["hw1"]["similarity"]
    assert similarity["flagged"] == [["ana", "ben"]]
    assert similarity["verdict"] == "as planted"
    assert summary["homework"]["hw1"]["overlap_factor"] > 0.8
    assert summary["not_available"] == {}
    for hw in SMALL_CLASS_HOMEWORK[1:]:
        later = summary["homework"][hw]["similarity"]
        assert later["flagged"] == [["ana", "ben"]], hw
        assert later["verdict"] == "as planted", hw
    assert "| hw1 | 3 |" in (semester / "summary.md").read_text()


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_the_dashboard_opens_on_the_run(semester: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CLASS_DASHBOARD_DIR", str(semester))
    at = AppTest.from_file(str(ROOT / "demos" / "class_dashboard.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    graded = SMALL_CLASS_HOMEWORK
    assert any(f"{3 * len(graded)} reports" in c.value for c in at.caption)
    titles = [json.loads(c.proto.spec).get("title", "") for c in at.get("vega_lite_chart")]
    titles = [t if isinstance(t, str) else t.get("text", "") for t in titles]
    assert "Final grades (final-grades.csv)" in titles
    assert "Pass rate per check, hw1 (3 submissions)" in titles
    assert any("1 flagged pair" in m.value for m in at.markdown)
    similarity = next(d.value for d in at.dataframe if "student_a" in d.value.columns)
    assert list(zip(similarity["student_a"], similarity["student_b"], strict=True)) == [
        ("ana", "ben")
    ]
    at.selectbox(key="drill_student").set_value("gia").run()
    checks = next(d.value for d in at.dataframe if "feedback" in d.value.columns)
    assert "api.predict" in list(checks["check"])
    # Every graded homework has its pass rates and its drill-down.
    for hw in graded[1:]:
        at.selectbox(key="rates_homework").set_value(hw).run()
        titles = [json.loads(c.proto.spec).get("title", "") for c in at.get("vega_lite_chart")]
        titles = [t if isinstance(t, str) else t.get("text", "") for t in titles]
        assert f"Pass rate per check, {hw} (3 submissions)" in titles
        at.selectbox(key="drill_homework").set_value(hw).run()
        at.selectbox(key="drill_student").set_value("gia").run()
        checks = next(d.value for d in at.dataframe if "feedback" in d.value.columns)
        assert "db.listing" in list(checks["check"])


def test_similarity_verdict_counts_missed_and_false_flags(tmp_path: Path) -> None:
    from grader.semester.generate import GeneratedHomework
    from grader.semester.summary import similarity_verdict

    generated = GeneratedHomework(
        "hw1",
        tmp_path / "s.csv",
        must_flag=[("a", "b"), ("c", "d")],
        must_not_flag=[("a", "c"), ("b", "d")],
        planted_copies=[("a", "b")],
    )
    exact = similarity_verdict({("a", "b"), ("c", "d")}, generated)
    assert exact["verdict"] == "as planted" and exact["planted_copies_flagged"]
    off = similarity_verdict({("a", "b"), ("a", "c")}, generated)
    assert off["missed"] == [["c", "d"]] and off["false_flags"] == [["a", "c"]]
    assert off["verdict"] == "differs from the ground truth"
    assert not similarity_verdict(set(), generated)["planted_copies_flagged"]
