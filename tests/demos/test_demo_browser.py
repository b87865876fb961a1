"""Smoke test of each demo in a real browser: ``streamlit run`` + headless Chromium.

Without chromium/chromedriver the tests skip naming the tool, except under CI=true where they fail
(the root conftest's ``require_tool``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from demos._browser import APPS, app_exceptions, chrome, running_apps, wait_for_text
from demos.screenshots import SHOTS


@pytest.fixture(scope="module")
def browser(
    require_tool: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    chromium = require_tool("chromium")
    chromedriver = require_tool("chromedriver")
    driver = chrome(chromium, chromedriver, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def apps(browser: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """All three apps, started side by side (after the browser check, so a skip starts nothing)."""
    with running_apps(list(APPS), Path(tmp_path_factory.mktemp("streamlit-logs"))) as urls:
        yield urls


@pytest.mark.parametrize("app", list(APPS))
def test_app_renders_its_title_in_chromium(app: str, apps: dict[str, str], browser) -> None:
    browser.get(apps[app])
    title = APPS[app]
    assert wait_for_text(browser, title, 60), f"{title!r} never appeared at {apps[app]}"
    assert wait_for_text(browser, SHOTS[app].ready_text, 60), SHOTS[app].ready_text
    assert browser.title.startswith(title)
    assert app_exceptions(browser) == []
