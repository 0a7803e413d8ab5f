"""Shared by the login end-to-end tests: start ``pantau dashboard --auth ...`` through the real
CLI on loopback, log in through the real login page in headless Chromium, read what a page
shows."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OTHER_PLACES = ("Banjarbaru", "Musi Banyuasin", "DKI Jakarta")  # in every non-Batam agency's name


def driver():
    """``scripts/screenshots.py`` as a module (Chromium flags, wait_idle, errors_on)."""
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pantau(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``pantau ARGS`` as a user would (a separate process)."""
    return subprocess.run([sys.executable, "-c", "from pantau_cli import main; main()", *args], input=stdin,
                          capture_output=True, text=True, env=dict(os.environ, **(env or {})), timeout=120)


@contextlib.contextmanager
def dashboard(db: Path, auth: str, port: int, env: dict | None = None, timeout: float = 60) -> Iterator[str]:
    """``pantau dashboard --db DB --auth AUTH --port PORT`` running; yields its base URL."""
    full_env = dict(os.environ, PM4PY_SHOW_PROGRESS_BAR="False", STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
                    **(env or {}))
    command = [sys.executable, "-c", "from pantau_cli import main; main()", "dashboard",
               "--db", str(db), "--auth", auth, "--port", str(port)]
    with driver().running(command, full_env, f"http://127.0.0.1:{port}", timeout, "the dashboard") as base:
        yield base


def log_in(drv, page, url: str, name: str, password: str, title: str | None = "Ringkasan") -> None:
    """Open ``url``, fill the login form, press "Masuk", wait for the page ``title``."""
    page.goto(url)
    page.get_by_role("heading", name="Pantau", exact=True).wait_for(timeout=60_000)
    page.get_by_label("Nama pengguna").fill(name)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk", exact=True).click()
    if title:
        drv.wait_idle(page, title)


def main_text(page) -> str:
    """Everything the main area shows as text (tables included: their accessible cells)."""
    return page.locator('[data-testid="stMain"]').inner_text()


def go(drv, page, title: str) -> None:
    """Open a page through the sidebar menu (the same session), wait until it is drawn."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    drv.wait_idle(page, title)
