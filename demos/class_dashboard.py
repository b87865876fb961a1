"""Class dashboard (instructors): a graded homework at a glance, from the grader's own files.

Run: ``uv run streamlit run demos/class_dashboard.py``; to open it on a directory (a ``grader
semester`` rehearsal, or ``grader batch`` output) set ``CLASS_DASHBOARD_DIR=DIR``.

Load the JSON reports (``<dir>/<student>/report.json``, as ``grader batch`` writes them) and/or the
gradebook CSVs (``gradebook-hwN.csv``) from a directory or by upload; or press "Load sample class"
for twenty made-up students (``demos/sample_reports.py``). The page shows:

* the score distribution of every homework loaded;
* the final grades, computed by ``grader.final.compute_final`` with the course configuration, once
  hw1, hw2 and hw3 are all there (a homework with reports but no gradebook gets its gradebook rows
  from the reports, as ``grader batch`` would write them);
* the pass rate of every rubric check: which items the class struggles with;
* one submission's report, check by check;
* the similarity pairs of ``similarity-hwN.csv`` and, when the directory holds the
  ``final-grades.csv`` that ``grader final`` wrote, that final gradebook (late policy and TA
  adjustments applied) instead of one computed here.

A file that cannot be read is named with the reason; it never stops the page.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script by Streamlit: make `demos` and `grader` importable
    sys.path.insert(0, str(ROOT))

import altair as alt  # noqa: E402
import jsonschema  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from demos.sample_reports import sample_class  # noqa: E402
from grader.course.config import CourseConfig, load_course_config  # noqa: E402
from grader.course.final import compute_final  # noqa: E402
from grader.course.gradebook import COLUMNS, gradebook_row, write_gradebook  # noqa: E402
from grader.errors import UsageError  # noqa: E402
from grader.report.model import SCHEMA_PATH, Report  # noqa: E402

DIRECTORY_ENV = "CLASS_DASHBOARD_DIR"  # open on this directory (e.g. a `grader semester` run)
MAX_FILES = 5000
MAX_FILE_BYTES = 5_000_000
GRADEBOOK_REQUIRED = ("student_id", "homework", "points", "max_points")
GRADEBOOK_NAME = re.compile(r"(hw\d+)", re.IGNORECASE)
STATUS_COLORS = alt.Scale(
    domain=["passed", "failed", "error", "skipped"],
    range=["#2ca02c", "#d62728", "#9467bd", "#7f7f7f"],
)


# --------------------------------------------------------------------------- loading


@dataclass
class ClassData:
    """Everything loaded: reports by homework and student, gradebook rows by homework."""

    source: str
    reports: dict[str, dict[str, Report]] = field(default_factory=dict)
    gradebooks: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    sample: bool = False
    final_rows: list[dict[str, str]] = field(
        default_factory=list
    )  # final-grades.csv (grader final)
    similarity: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # similarity-hwN.csv

    @property
    def homeworks(self) -> list[str]:
        return sorted(set(self.reports) | set(self.gradebooks))

    def add_report(self, name: str, report: Report) -> None:
        by_student = self.reports.setdefault(report.homework, {})
        if report.student_id in by_student:
            self.problems.append(
                f"{name}: a second {report.homework} report for {report.student_id}; "
                "the later file wins"
            )
        by_student[report.student_id] = report

    def add_gradebook(self, name: str, homework: str, rows: list[dict[str, str]]) -> None:
        if homework in self.gradebooks:
            self.problems.append(f"{name}: a second gradebook for {homework}; the later file wins")
        self.gradebooks[homework] = rows


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def parse_report(name: str, text: str) -> Report:
    """A report from JSON text; ValueError with a readable reason when it is not one."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
    errors = sorted(
        jsonschema.Draft202012Validator(_schema()).iter_errors(document),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if errors:
        first = errors[0]
        where = "/".join(map(str, first.absolute_path)) or "the document"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ValueError(f"not a grader report: at {where}: {first.message}{more}")
    try:
        return Report.from_dict(document)
    except TypeError as exc:
        raise ValueError(f"not a grader report: {exc}") from exc


def parse_gradebook(name: str, text: str) -> tuple[str, list[dict[str, str]]]:
    """(homework, rows) from gradebook CSV text; ValueError with the reason otherwise."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in GRADEBOOK_REQUIRED if c not in header]
    if missing:
        raise ValueError(
            f"not a gradebook: missing column(s) {', '.join(missing)} "
            f"(a gradebook has {', '.join(COLUMNS)})"
        )
    rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    homeworks = {row["homework"] for row in rows if row["homework"]}
    if len(homeworks) > 1:
        raise ValueError(f"not a gradebook: rows for several homework ({', '.join(homeworks)})")
    if homeworks:
        homework = homeworks.pop()
    else:
        match = GRADEBOOK_NAME.search(Path(name).name)
        if not match:
            raise ValueError("not a gradebook: no rows and no hwN in the file name")
        homework = match.group(1).lower()
    for number, row in enumerate(rows, start=2):
        try:
            float(row["points"] or 0)
            float(row["max_points"] or 0)
        except ValueError as exc:
            raise ValueError(f"line {number}: points and max_points must be numbers") from exc
    return homework, rows


def load_files(source: str, files: list[tuple[str, bytes]]) -> ClassData:
    """Reports (``*.json``) and gradebooks (``*.csv``) from (name, content) pairs."""
    data = ClassData(source)
    if len(files) > MAX_FILES:
        data.problems.append(f"{len(files)} files: only the first {MAX_FILES} were read")
    for name, content in files[:MAX_FILES]:
        try:
            if len(content) > MAX_FILE_BYTES:
                raise ValueError(f"larger than {MAX_FILE_BYTES // 1_000_000} MB")
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError("not UTF-8 text") from exc
            if name.lower().endswith(".csv"):
                homework, rows = parse_gradebook(name, text)
                data.add_gradebook(name, homework, rows)
            else:
                data.add_report(name, parse_report(name, text))
        except ValueError as exc:
            data.problems.append(f"{name}: {exc}")
    return data


def load_directory(path_text: str) -> ClassData:
    """``**/report.json`` and ``**/gradebook*.csv`` under a directory."""
    directory = Path(path_text.strip()).expanduser()
    if not path_text.strip() or not directory.is_dir():
        data = ClassData(f"directory {path_text!r}")
        data.problems.append(f"{path_text!r} is not a directory")
        return data
    paths = sorted(directory.rglob("report.json")) + sorted(directory.rglob("gradebook*.csv"))
    files = []
    problems = []
    for path in paths[:MAX_FILES]:
        try:
            files.append((str(path.relative_to(directory)), path.read_bytes()))
        except OSError as exc:
            problems.append(f"{path}: cannot read it ({exc.strerror})")
    data = load_files(f"directory {directory}", files)
    data.problems = problems + data.problems
    _load_semester_files(directory, data)
    if not paths:
        data.problems.append(
            f"no report.json or gradebook*.csv under {directory} "
            "(grader batch writes <dir>/<student>/report.json and <dir>/gradebook-hwN.csv)"
        )
    return data


def _load_semester_files(directory: Path, data: ClassData) -> None:
    """``final-grades.csv`` (grader final) and ``similarity-hwN.csv`` (batch --similarity), if any."""
    for path in sorted(directory.rglob("similarity-*.csv"))[:50]:
        match = GRADEBOOK_NAME.search(path.name)
        try:
            rows = list(csv.DictReader(io.StringIO(path.read_text())))
        except (OSError, UnicodeDecodeError) as exc:
            data.problems.append(f"{path.name}: cannot read it ({exc})")
            continue
        if match and rows and not {"signal", "student_a", "student_b"} <= set(rows[0]):
            data.problems.append(f"{path.name}: not a similarity CSV")
        elif match:
            data.similarity[match.group(1).lower()] = rows
    finals = sorted(directory.rglob("final-grades.csv"))
    if finals:
        try:
            rows = list(csv.DictReader(io.StringIO(finals[0].read_text())))
        except (OSError, UnicodeDecodeError) as exc:
            data.problems.append(f"{finals[0].name}: cannot read it ({exc})")
            return
        if rows and {"student_id", "final"} <= set(rows[0]):
            data.final_rows = rows
        else:
            data.problems.append(f"{finals[0].name}: not a final gradebook (student_id, final)")


def load_sample() -> ClassData:
    sample = sample_class()
    data = ClassData("sample class (generated, fake students)", sample=True)
    for report in sample.reports:
        data.add_report(f"sample/{report.student_id}", report)
    for hw, rows in sample.gradebooks.items():
        if hw not in data.reports:  # hw1's gradebook follows from its reports
            data.add_gradebook(f"sample/gradebook-{hw}.csv", hw, rows)
    return data


# --------------------------------------------------------------------------- analysis


def gradebook_rows(data: ClassData, homework: str) -> list[dict[str, str]]:
    """The gradebook loaded for ``homework``, else one derived from its reports."""
    if homework in data.gradebooks:
        return data.gradebooks[homework]
    return [
        gradebook_row(report, student, homework, report.repository)
        for student, report in sorted(data.reports.get(homework, {}).items())
    ]


def scores_frame(data: ClassData) -> pd.DataFrame:
    """One row per (homework, student): points, max_points, percent, status."""
    rows = []
    for hw in data.homeworks:
        for row in gradebook_rows(data, hw):
            points = float(row.get("points") or 0)
            maximum = float(row.get("max_points") or 0)
            rows.append(
                {
                    "homework": hw,
                    "student_id": row["student_id"],
                    "points": points,
                    "max_points": maximum,
                    "percent": 100 * points / maximum if maximum else 0.0,
                    "status": row.get("status", ""),
                }
            )
    return pd.DataFrame(
        rows, columns=["homework", "student_id", "points", "max_points", "percent", "status"]
    )


def pass_rates(reports: dict[str, Report]) -> pd.DataFrame:
    """Per rubric check: share of submissions that passed it, and share of its points earned."""
    rows: dict[str, dict[str, Any]] = {}
    for report in reports.values():
        for check in report.checks:
            row = rows.setdefault(
                check.id,
                {
                    "check": check.id,
                    "title": check.title,
                    "stage": check.stage,
                    "submissions": 0,
                    "passed": 0,
                    "failed": 0,
                    "error": 0,
                    "skipped": 0,
                    "points": 0.0,
                    "max_points": 0.0,
                },
            )
            row["submissions"] += 1
            row[check.status] += 1
            row["points"] += check.points
            row["max_points"] += check.max_points
    frame = pd.DataFrame(list(rows.values()))
    if frame.empty:
        return frame
    frame["pass rate"] = frame["passed"] / frame["submissions"]
    frame["points earned"] = (
        frame["points"] / frame["max_points"].where(frame["max_points"] > 0)
    ).fillna(0.0)
    return frame.sort_values(["pass rate", "check"]).reset_index(drop=True)


def final_grades(data: ClassData, config: CourseConfig) -> pd.DataFrame:
    """The course's final grades (``grader.final.compute_final``) from the hw1..hwN gradebooks."""
    with tempfile.TemporaryDirectory(prefix="dashboard-") as tmp:
        paths = {}
        for hw in config.weights:
            path = Path(tmp) / f"gradebook-{hw}.csv"
            rows = [{c: row.get(c, "") for c in COLUMNS} for row in gradebook_rows(data, hw)]
            write_gradebook(path, rows)
            paths[hw] = path
        table = compute_final(paths, config, [])
    return pd.DataFrame(table)


# --------------------------------------------------------------------------- display


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def show_scores(scores: pd.DataFrame) -> None:
    st.subheader("Scores")
    if scores.empty:
        st.info("The gradebooks loaded have no rows.")
        return
    bins = list(range(0, 101, 10))
    labels = [f"{lo}–{lo + 10}" for lo in bins[:-1]]
    binned = scores.assign(
        band=pd.cut(scores["percent"].clip(0, 100), bins=bins, labels=labels, include_lowest=True)
    )
    counts = (
        binned.groupby(["homework", "band"], observed=False).size().reset_index(name="students")
    )
    chart = (
        alt.Chart(counts, title="Score distribution per homework")
        .mark_bar()
        .encode(
            x=alt.X("band:O", sort=labels, title="score (% of the homework's points)"),
            xOffset="homework:N",
            y=alt.Y("students:Q", title="submissions"),
            color=alt.Color("homework:N", legend=alt.Legend(orient="top", title=None)),
            tooltip=["homework", "band", "students"],
        )
        .properties(height=340)
    )
    st.altair_chart(chart, width="stretch")
    summary = scores.groupby("homework")["percent"].agg(["count", "median", "mean", "min", "max"])
    cells = st.columns(max(1, len(summary)))
    for cell, (hw, row) in zip(cells, summary.iterrows(), strict=True):
        cell.metric(
            f"{hw} median", f"{row['median']:.1f} %", help=f"{int(row['count'])} submissions"
        )


def show_final(data: ClassData) -> None:
    st.subheader("Final grades")
    try:
        config = load_course_config()
    except UsageError as exc:
        st.error(f"Cannot read the course configuration: {exc}")
        return
    perfect = config.scale * sum(config.weights.values())
    weights = " + ".join(f"{w:g}" for w in config.weights.values())
    st.markdown(
        f"`final = {config.scale:g} × ({config.formula()})`, each homework as a fraction of its "
        f"points after the late penalty ({config.penalty_per_day:.0%} per started day, "
        f"{config.grace_minutes:g} min grace, 0 after {config.max_days_late} days). "
        f"The weights add up to {weights} = **{sum(config.weights.values()):g}**, so a perfect "
        f"record earns **{perfect:g} of {config.scale:g}**: the course's formula is kept exactly as "
        "stated (grader/course/course.toml)."
    )
    if data.final_rows:
        show_written_final(data, config)
        return
    missing = [hw for hw in config.weights if hw not in data.homeworks]
    if missing:
        st.info(
            f"Final grades need all of {', '.join(config.weights)}; missing: {', '.join(missing)}. "
            "Load their gradebooks (gradebook-hwN.csv) or reports."
        )
        return
    table = final_grades(data, config)
    if table.empty:
        st.info("No students in the gradebooks.")
        return
    parts = []
    for hw, weight in config.weights.items():
        for student, score in zip(table["student_id"], table[f"{hw}_score"], strict=True):
            parts.append(
                {
                    "student_id": student,
                    "homework": hw,
                    "points of the final": weight * float(score) * config.scale,
                }
            )
    order = list(table.sort_values("final", ascending=False)["student_id"])
    stacked = (
        alt.Chart(pd.DataFrame(parts), title="Final grades (course formula), by homework")
        .mark_bar()
        .encode(
            x=alt.X(
                "points of the final:Q",
                scale=alt.Scale(domain=[0, config.scale]),
                title=f"final grade (0–{config.scale:g})",
            ),
            y=alt.Y("student_id:N", sort=order, title=None),
            color=alt.Color("homework:N", legend=alt.Legend(orient="top", title=None)),
            tooltip=["student_id", "homework", alt.Tooltip("points of the final:Q", format=".2f")],
        )
        .properties(height=max(300, 28 * len(order) + 120))
    )
    left, right = st.columns([3, 2])
    left.altair_chart(stacked, width="stretch")
    with right:
        st.metric("Median final grade", f"{table['final'].median():.2f} / {config.scale:g}")
        st.metric("Best possible", f"{perfect:g} / {config.scale:g}")
        columns = ["student_id", "final", *[f"{hw}_score" for hw in config.weights], "notes"]
        st.dataframe(table[columns], hide_index=True, height=360)


def show_written_final(data: ClassData, config: CourseConfig) -> None:
    """The final gradebook ``grader final`` wrote (late policy and TA adjustments applied)."""
    table = pd.DataFrame(data.final_rows)
    table["final"] = pd.to_numeric(table["final"], errors="coerce").fillna(0.0)
    missing = [
        hw for hw in config.weights if f"{hw}_score" not in table or hw not in data.homeworks
    ]
    if missing:
        st.info(
            f"Not graded in this run: {', '.join(missing)}: they count 0 in the final grades "
            "below (grader final treats a missing homework as 0 points)."
        )
    order = list(table.sort_values("final", ascending=False)["student_id"])
    chart = (
        alt.Chart(table, title="Final grades (final-grades.csv)")
        .mark_bar()
        .encode(
            x=alt.X("final:Q", scale=alt.Scale(domain=[0, config.scale]), title="final grade"),
            y=alt.Y("student_id:N", sort=order, title=None),
            tooltip=["student_id", "final", "notes"],
        )
        .properties(height=max(300, 28 * len(order) + 120))
    )
    left, right = st.columns([3, 2])
    left.altair_chart(chart, width="stretch")
    with right:
        st.metric("Median final grade", f"{table['final'].median():.2f} / {config.scale:g}")
        columns = [
            c
            for c in table.columns
            if c == "student_id" or c == "final" or c.endswith("_days_late") or c == "notes"
        ]
        st.dataframe(table[columns], hide_index=True, height=360)


def show_similarity(data: ClassData) -> None:
    st.subheader("Similarity between submissions")
    if not data.similarity:
        st.info("No similarity-hwN.csv loaded (grader batch --similarity or grader similarity).")
        return
    for hw, rows in sorted(data.similarity.items()):
        frame = pd.DataFrame(
            rows,
            columns=[
                "signal",
                "student_a",
                "student_b",
                "similarity_a",
                "similarity_b",
                "shared_failing_checks",
                "regions_a",
            ],
        )
        st.markdown(
            f"**{hw}**: {plural(len(frame), 'flagged pair')} "
            f"({(frame['signal'] == 'code').sum()} by shared code, "
            f"{(frame['signal'] == 'behaviour').sum()} by identical hidden failures). "
            "A flag is a reason to look, not a verdict."
        )
        st.dataframe(frame, hide_index=True, key=f"similarity_{hw}")


def show_pass_rates(data: ClassData) -> None:
    st.subheader("Which checks the class struggles with")
    graded = [hw for hw in data.homeworks if data.reports.get(hw)]
    if not graded:
        st.info("Pass rates need the JSON reports (gradebooks only have totals).")
        return
    hw = st.selectbox("Homework", graded, key="rates_homework")
    rates = pass_rates(data.reports[hw])
    chart = (
        alt.Chart(
            rates,
            title=f"Pass rate per check, {hw} ({plural(len(data.reports[hw]), 'submission')})",
        )
        .mark_bar()
        .encode(
            x=alt.X(
                "pass rate:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title=None
            ),
            y=alt.Y("check:N", sort=list(rates["check"]), title=None),
            color=alt.Color(
                "stage:N", legend=alt.Legend(orient="bottom", direction="horizontal", columns=5)
            ),
            tooltip=[
                "check",
                "title",
                "stage",
                alt.Tooltip("pass rate:Q", format=".0%"),
                alt.Tooltip("points earned:Q", format=".0%"),
                "failed",
                "error",
                "skipped",
            ],
        )
        .properties(height=max(300, 28 * len(rates) + 140))
    )
    st.altair_chart(chart, width="stretch")
    hardest = rates.head(3)
    st.markdown(
        "The class struggles most with "
        + "; ".join(
            f"`{row['check']}` ({row['pass rate']:.0%} passed)"
            for row in hardest.to_dict("records")
        )
        + ". Checks that were skipped or errored did not get to run: look at those first."
    )


def show_submission(data: ClassData) -> None:
    st.subheader("One submission")
    graded = [hw for hw in data.homeworks if data.reports.get(hw)]
    if not graded:
        st.info("Drill-down needs the JSON reports.")
        return
    left, right = st.columns(2)
    hw = left.selectbox("Homework", graded, key="drill_homework")
    students = sorted(data.reports[hw])
    student = right.selectbox("Student", students, key="drill_student")
    report = data.reports[hw][student]
    cells = st.columns(4)
    percent = 100 * report.points / report.max_points if report.max_points else 0.0
    passed = sum(c.status == "passed" for c in report.checks)
    cells[0].metric("Points", f"{report.points:g} / {report.max_points:g}", help=f"{percent:.1f} %")
    cells[1].metric("Checks passed", f"{passed} / {len(report.checks)}")
    cells[2].metric(
        "Submitted", (report.submitted_at or "unknown")[:10], help=report.submitted_at or None
    )
    cells[3].metric("Commit", report.commit[:10])
    checks = pd.DataFrame(
        {
            "check": [c.id for c in report.checks],
            "status": [c.status for c in report.checks],
            "points": [c.points for c in report.checks],
            "max_points": [c.max_points for c in report.checks],
            "stage": [c.stage for c in report.checks],
            "visibility": [c.visibility for c in report.checks],
            "feedback": [c.feedback for c in report.checks],
        }
    )
    chart = (
        alt.Chart(checks)
        .mark_bar()
        .encode(
            x=alt.X("max_points:Q", title="points"),
            y=alt.Y("check:N", sort=list(checks["check"]), title=None),
            color=alt.value("#e5e5e5"),
        )
        + alt.Chart(checks)
        .mark_bar()
        .encode(
            x="points:Q",
            y=alt.Y("check:N", sort=list(checks["check"])),
            color=alt.Color("status:N", scale=STATUS_COLORS, legend=alt.Legend(orient="top")),
            tooltip=["check", "status", "points", "max_points", "feedback"],
        )
    ).properties(
        title=f"{student}: points per check ({hw})", height=max(300, 28 * len(checks) + 120)
    )
    st.altair_chart(chart, width="stretch")
    st.dataframe(checks, hide_index=True)
    st.caption(f"{report.repository} · graded {report.started_at} · grader {report.grader_version}")


def sidebar() -> None:
    with st.sidebar:
        st.header("Load grades")
        if st.button("Load sample class", key="load_sample", type="primary"):
            st.session_state["class_data"] = load_sample()
        st.text_input(
            "Directory with reports and gradebooks",
            key="report_dir",
            placeholder="e.g. grades/hw1 (grader batch --out)",
        )
        if st.button("Load directory", key="load_dir"):
            st.session_state["class_data"] = load_directory(st.session_state["report_dir"])
        st.caption("Reads `<dir>/**/report.json` and `<dir>/**/gradebook*.csv`.")
        uploads = st.file_uploader(
            "…or upload report.json / gradebook CSV files",
            type=["json", "csv"],
            accept_multiple_files=True,
            key="uploads",
        )
        if uploads:
            fingerprint = tuple((u.name, u.size) for u in uploads)
            if st.session_state.get("uploaded") != fingerprint:
                st.session_state["uploaded"] = fingerprint
                files = [(u.name, u.getvalue()) for u in uploads]
                st.session_state["class_data"] = load_files(f"{len(files)} uploaded files", files)


def main() -> None:
    st.set_page_config(page_title="Class dashboard · mlops-course", layout="wide")
    st.title("Class dashboard")
    if "class_data" not in st.session_state:
        opened = os.environ.get(DIRECTORY_ENV, "").strip()
        st.session_state["class_data"] = load_directory(opened) if opened else load_sample()
    sidebar()
    data: ClassData = st.session_state["class_data"]
    n_reports = sum(len(r) for r in data.reports.values())
    n_rows = sum(len(r) for hw, r in data.gradebooks.items())
    st.caption(
        f"Source: {data.source} · {plural(n_reports, 'report')}, "
        f"{plural(n_rows, 'gradebook row')} · "
        f"homework: {', '.join(data.homeworks) or 'none'}"
    )
    if data.sample:
        st.info(
            "Showing a generated sample class (20 fake students, real hw1 rubric). Load your "
            "grader output in the sidebar."
        )
    if data.problems:
        st.error(
            f"{len(data.problems)} problem(s) while loading; the rest was loaded:\n\n"
            + "\n".join(f"- {p}" for p in data.problems[:20])
            + (f"\n- … and {len(data.problems) - 20} more" if len(data.problems) > 20 else "")
        )
    if not data.homeworks:
        st.warning("Nothing to show yet: no reports or gradebooks were loaded.")
        return
    left, right = st.columns(2, gap="large")
    with left:
        show_scores(scores_frame(data))
    with right:
        show_pass_rates(data)
    show_final(data)
    show_similarity(data)
    show_submission(data)


main()
