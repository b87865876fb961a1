"""Start a demo with ``streamlit run`` and drive it with headless Chromium (tests and screenshots).

Everything listens on 127.0.0.1 only, every wait is bounded, and Chromium runs with the flags that
keep it off the network (no sync, no component updates, no background requests).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEMOS_DIR = ROOT / "demos"
APPS = {
    "model_playground": "Model playground",
    "latency_lab": "Latency lab",
    "class_dashboard": "Class dashboard",
}
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def streamlit_command(app: str, port: int) -> list[str]:
    """``streamlit run demos/<app>.py`` headless on 127.0.0.1:<port>, no usage statistics."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DEMOS_DIR / f"{app}.py"),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "viewer",
    ]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout_s: float = 60.0) -> None:
    """Poll ``<url>/_stcore/health`` until it answers 200; RuntimeError on exit or timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode} before serving {url}")
        try:
            health = httpx.get(f"{url}/_stcore/health", timeout=2.0, trust_env=False)
            if health.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url}/_stcore/health did not answer 200 within {timeout_s:g} s")


def stop(process: subprocess.Popen) -> None:
    """Terminate a process we started, then kill it if it does not exit within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running_apps(apps: list[str], log_dir: Path) -> Iterator[dict[str, str]]:
    """Start the apps side by side (each on its own free port); yield app -> base URL."""
    started: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        for app in apps:
            port = free_port()
            log = (log_dir / f"{app}.log").open("wb")
            process = subprocess.Popen(
                streamlit_command(app, port),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            log.close()
            started[app] = (process, f"http://127.0.0.1:{port}")
        for process, url in started.values():
            wait_until_healthy(url, process)
        yield {app: url for app, (_, url) in started.items()}
    finally:
        for process, _ in started.values():
            stop(process)


def chrome(chromium: str, chromedriver: str, profile: Path, width: int = 1280, height: int = 900):
    """A headless Chromium WebDriver with its own profile directory."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for_text(driver, text: str, timeout_s: float = 30.0) -> bool:
    """True once ``text`` appears in the page's visible text, False after the timeout."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if text in driver.find_element(By.TAG_NAME, "body").text:
                return True
        except WebDriverException:
            pass
        time.sleep(0.25)
    return False


def app_exceptions(driver) -> list[str]:
    """The text of every exception box Streamlit shows on the page."""
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')]
