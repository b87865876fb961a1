"""Take the screenshots of the demos shown on the course site (``docs/assets/demos/<app>.png``).

Run once after changing a demo (needs Debian's ``chromium`` and ``chromium-driver``)::

    uv run python demos/screenshots.py            # all three apps
    uv run python demos/screenshots.py latency_lab

Each app is started with ``streamlit run`` on 127.0.0.1, opened in headless Chromium at 1280x900,
driven to an interesting state (the latency lab runs a measurement, the dashboard shows the sample
class) and captured. The script refuses to save a page that shows a Streamlit exception.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as a script: make `demos` importable
    sys.path.insert(0, str(ROOT))

from demos._browser import APPS, app_exceptions, chrome, running_apps, wait_for_text  # noqa: E402

OUT_DIR = ROOT / "docs" / "assets" / "demos"
WIDTH, HEIGHT = 1280, 900


@dataclass(frozen=True)
class Shot:
    """How to bring an app into the state worth showing."""

    ready_text: str  # wait until the page shows this
    click: str | None = None  # then press the button with this label ...
    done_text: str | None = None  # ... and wait for this
    scroll_to: str | None = None  # bring the heading with this text to the top


SHOTS = {
    "model_playground": Shot(ready_text="What drives this prediction"),
    "latency_lab": Shot(
        ready_text="Press Run to measure",
        click="Run",
        done_text="What the numbers say",
        scroll_to="Results",
    ),
    "class_dashboard": Shot(ready_text="Pass rate per check"),
}


def _click_button(driver, label: str) -> None:
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.TAG_NAME, "button"):
        if button.text.strip() == label:
            button.click()
            return
    raise RuntimeError(f"no button labelled {label!r}")


def _scroll_to_heading(driver, text: str) -> None:
    driver.execute_script(
        """
        const wanted = arguments[0];
        for (const h of document.querySelectorAll('h1, h2, h3')) {
          if (h.textContent.trim().startsWith(wanted)) { h.scrollIntoView(true); return; }
        }
        """,
        text,
    )


def capture(driver, app: str, url: str, out: Path) -> None:
    shot = SHOTS[app]
    driver.get(url)
    for text in (APPS[app], shot.ready_text):
        if not wait_for_text(driver, text, 90):
            raise RuntimeError(f"{app}: {text!r} did not appear")
    if shot.click:
        _click_button(driver, shot.click)
        if shot.done_text and not wait_for_text(driver, shot.done_text, 180):
            raise RuntimeError(f"{app}: {shot.done_text!r} did not appear after {shot.click!r}")
    time.sleep(2.5)  # charts are drawn asynchronously
    if shot.scroll_to:
        _scroll_to_heading(driver, shot.scroll_to)
        time.sleep(1.0)
    problems = app_exceptions(driver)
    if problems:
        raise RuntimeError(f"{app} shows an exception: {problems[0][:500]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(out))
    print(f"{app}: {out.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshot the demos with headless Chromium.")
    parser.add_argument("apps", nargs="*", help=f"any of {', '.join(APPS)} (default: all)")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    unknown = [a for a in args.apps if a not in APPS]
    if unknown:
        parser.error(f"unknown app(s): {', '.join(unknown)}")
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        print("needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver)")
        return 2
    apps = args.apps or list(APPS)
    with (
        tempfile.TemporaryDirectory(prefix="demo-shots-") as tmp,
        running_apps(apps, Path(tmp)) as urls,
    ):
        driver = chrome(chromium, chromedriver, Path(tmp) / "profile")
        try:
            # The window size includes no browser UI in headless mode, but fix the viewport anyway.
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            )
            for app in apps:
                capture(driver, app, urls[app], args.out / f"{app}.png")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
