"""The site hook on a small fake repository: pages, stubs, link rewriting, assets and placeholders.

These tests do not depend on the real lectures (which change while they are being written): they
build a tiny repository that exercises every rule of ``docs/hooks/course_pages.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "docs" / "hooks" / "course_pages.py"
GITHUB = "https://github.com/{repository}/blob/{ref}"

HAND_WRITTEN = {
    "index.md": '# Home\n\n{{ rubric_table("hw1") }}\n\n{{ rubric_table("hw9") }}\n',
    "syllabus.md": "# Syllabus\n\n## How the homework build on each other\n",
    "grading.md": '# Grading\n\nFormula: `{{ course_value("formula") }}`.\n',
    "demos.md": '# Demos\n\n{{ demo("latency_lab") }}\n\n{{ demo("class_dashboard") }}\n',
    "guides/student.md": "# Students\n",
    "guides/instructor.md": "# Instructors\n",
    "guides/runbook.md": "# Runbook\n",
    "reference/grader.md": "# Reference\n\nSee [the example](../../lectures/01_alpha/examples/run.py).\n",
}
LECTURE = """# Lecture 1. Alpha

![A diagram](img/diagram.png)

Next: [lecture 2](../02_beta/README.md). Homework: [hw1](../../homework/hw1_api/README.md#the-task),
[hw2](../../homework/hw2_db_k8s/README.md). Code: [run.py](examples/run.py), folder [examples](examples/).
Reference link: [grading][grading-page]. Back to [objectives](#objectives).

## Objectives

```markdown
[kept as written](../02_beta/README.md)
```

Inline `[also kept](../02_beta/README.md)` code.

[grading-page]: ../../docs/grading.md
"""
HOMEWORK = """# Homework 1 — The API

## The task

Read [lecture 1](../../lectures/01_alpha/README.md) first.
"""


def make_repo(tmp_path: Path, extra_docs: dict[str, str] | None = None) -> Path:
    repo = tmp_path / "repo"
    for name, text in {**HAND_WRITTEN, **(extra_docs or {})}.items():
        (repo / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / "docs" / name).write_text(text)
    alpha = repo / "lectures" / "01_alpha"
    (alpha / "img").mkdir(parents=True)
    (alpha / "examples").mkdir()
    (alpha / "README.md").write_text(LECTURE)
    (alpha / "img" / "diagram.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (alpha / "examples" / "run.py").write_text("print('hello')\n")
    (repo / "lectures" / "02_beta" / "examples").mkdir(parents=True)
    (repo / "docs" / "assets" / "demos").mkdir(parents=True)
    (repo / "docs" / "assets" / "demos" / "latency_lab.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (repo / "homework" / "hw1_api").mkdir(parents=True)
    (repo / "homework" / "hw1_api" / "README.md").write_text(HOMEWORK)
    (repo / "mkdocs.yml").write_text(
        "site_name: fake\n"
        "docs_dir: docs\n"
        "theme: mkdocs\n"
        "plugins: []\n"
        f"hooks:\n  - {HOOK}\n"
        "validation:\n  omitted_files: warn\n  absolute_links: warn\n"
        "  unrecognized_links: warn\n  anchors: warn\n"
        "markdown_extensions:\n  - admonition\n  - toc\n  - pymdownx.superfences\n"
    )
    return repo


def build(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(repo / "site")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def fake_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("hook"))
    result = build(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    return repo / "site"


@pytest.fixture(scope="module")
def github() -> str:
    from grader.course.config import load_course_config

    course = load_course_config()
    return GITHUB.format(repository=course.repository, ref=course.grader_ref)


def test_lecture_readme_becomes_a_page_with_rewritten_links(fake_site: Path, github: str) -> None:
    html = (fake_site / "lectures" / "01_alpha" / "index.html").read_text()
    assert "Lecture 1. Alpha" in html
    assert 'href="../02_beta/"' in html
    assert 'href="../../homework/hw1/#the-task"' in html
    assert 'href="../../homework/hw2/"' in html
    assert f'href="{github}/lectures/01_alpha/examples/run.py"' in html
    assert f'href="{github.replace("/blob/", "/tree/")}/lectures/01_alpha/examples"' in html
    assert 'href="../../grading/"' in html
    assert 'href="#objectives"' in html
    assert f"{github}/lectures/01_alpha/README.md" in html  # the source footer


def test_code_is_never_rewritten(fake_site: Path) -> None:
    html = (fake_site / "lectures" / "01_alpha" / "index.html").read_text()
    assert html.count("../02_beta/README.md") == 2  # the fenced block and the inline code span


def test_images_are_published_at_their_repository_path(fake_site: Path) -> None:
    html = (fake_site / "lectures" / "01_alpha" / "index.html").read_text()
    assert 'src="img/diagram.png"' in html  # the page is lectures/01_alpha/index.html
    assert (fake_site / "lectures" / "01_alpha" / "img" / "diagram.png").is_file()


def test_missing_readmes_get_stub_pages(fake_site: Path) -> None:
    beta = (fake_site / "lectures" / "02_beta" / "index.html").read_text()
    assert "Lecture 2. Beta" in beta and "Notes in preparation" in beta
    for hw in ("hw2", "hw3"):
        stub = (fake_site / "homework" / hw / "index.html").read_text()
        assert "Specification not published yet" in stub


def test_homework_readme_links_back_to_the_lecture(fake_site: Path) -> None:
    html = (fake_site / "homework" / "hw1" / "index.html").read_text()
    assert "Homework 1 — The API" in html
    assert 'href="../../lectures/01_alpha/"' in html


def test_placeholders_render_from_the_grader(fake_site: Path, github: str) -> None:
    from grader.course.config import load_course_config
    from grader.rubric import load_rubric

    home = (fake_site / "index.html").read_text()
    for check in load_rubric("hw1").checks:
        assert f"<code>{check.id}</code>" in home
    assert "The hw9 rubric is not published yet" in home
    grading = (fake_site / "grading" / "index.html").read_text()
    assert f"Formula: <code>{load_course_config().formula()}</code>." in grading
    reference = (fake_site / "reference" / "grader" / "index.html").read_text()
    assert f'href="{github}/lectures/01_alpha/examples/run.py"' in reference


def test_demo_screenshots_are_shown_when_they_exist(fake_site: Path) -> None:
    html = (fake_site / "demos" / "index.html").read_text()
    assert "demos/latency_lab.py" in html
    assert 'src="../assets/demos/latency_lab.png"' in html
    assert "A screenshot of the class dashboard will be added." in html


def test_navigation_lists_every_lecture_and_homework(fake_site: Path) -> None:
    home = (fake_site / "index.html").read_text()
    for page in ("lectures/01_alpha/", "lectures/02_beta/", "homework/hw1/", "homework/hw3/"):
        assert f'href="{page}"' in home


def test_unknown_placeholder_fails_the_build(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"demos.md": "# Demos\n\n{{ no_such_thing() }}\n"})
    result = build(repo)
    assert result.returncode != 0
    assert "unknown placeholder" in result.stdout + result.stderr


def test_broken_lecture_link_fails_the_strict_build(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    readme = repo / "lectures" / "01_alpha" / "README.md"
    readme.write_text(readme.read_text() + "\n[gone](../../nowhere/README.md)\n")
    result = build(repo)
    assert result.returncode != 0
    assert "nowhere/README.md" in result.stdout + result.stderr
