"""``[tool.mlops-course]``: the serve and train commands and the application code, declared once."""

from __future__ import annotations

from pathlib import Path

from grader.submission import read_commands

ROOT = Path(__file__).resolve().parents[2]


def write(root: Path, table: str) -> Path:
    (root / "app").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.mlops-course]\n{table}\n')
    return root


def test_app_is_read_as_paths_inside_the_repository(tmp_path: Path) -> None:
    commands = read_commands(write(tmp_path, 'serve = "python -m app"\napp = "app"'))
    assert commands.problem is None and commands.app == ("app",)
    listed = read_commands(write(tmp_path, 'serve = "s"\napp = ["app", "pyproject.toml"]'))
    assert listed.app == ("app", "pyproject.toml")


def test_app_outside_the_repository_or_missing_is_a_reported_problem(tmp_path: Path) -> None:
    for value in ('"../elsewhere"', '"missing"', "3", "[]"):
        commands = read_commands(write(tmp_path, f'serve = "s"\napp = {value}'))
        assert commands.problem and "app" in commands.problem, value


def test_the_reference_solutions_declare_their_application_code() -> None:
    for solution in sorted((ROOT / "homework").glob("hw*/solution*")):
        if (solution / "pyproject.toml").is_file():
            commands = read_commands(solution)
            assert commands.problem is None and commands.app, solution
