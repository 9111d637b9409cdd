"""Browser tests of the Voilà apps: a standalone Voilà server on a free port, run from the
repository root exactly as `make workshop` runs it, and Debian's chromium driven by Playwright
(Playwright cannot download its own browser here).

When chromium or Playwright is missing the tests skip with the reason, except in CI
(CI=true), where they fail: `bash scripts/test-system-deps.sh` (as root) installs chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import free_port

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FABRIQUE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# The server says when its room is ready (every pre-started kernel has run its notebook):
# the tests wait for that signal, not for a port, with a generous bound for a loaded machine.
ROOM_READY_TIMEOUT = 600  # s; about 40 s on an idle 2-core machine
PARTICIPANTS = 4  # a small room: 6 pre-started atelier kernels


def missing(reason: str) -> None:
    """Skip, or fail in CI, because a browser-test dependency is missing."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@dataclass
class VoilaServer:
    url: str
    log: Path
    process: subprocess.Popen
    var: Path  # the server's FABRIQUE_VAR: its SQLite store lives there

    def store(self):
        """The workshop store the server's kernels use."""
        from workbench.store import Store

        return Store(f"sqlite:///{self.var / 'fabrique.sqlite3'}")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


ATELIER_SHOWN = ".fab-atelier .fab-kf"  # the key figures: the atelier has been built


def wait_for_atelier(page, server: VoilaServer | None = None, timeout: int = 60_000) -> None:
    """Wait until the page shows the atelier; on a time-out, fail with what the page showed
    and the end of the server's log (a bare Playwright time-out says neither)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(ATELIER_SHOWN, state="visible", timeout=timeout)
    except PlaywrightTimeout:
        try:
            shown = " ".join(page.inner_text("body", timeout=5_000).split())[:600]
        except Exception as exc:  # the page itself may be gone
            shown = f"(unreadable: {type(exc).__name__})"
        log = server.log_tail(60) if server is not None else "(no server given)"
        pytest.fail(f"the atelier did not show within {timeout / 1000:.0f} s at {page.url}\n"
                    f"the page showed: {shown}\nthe server's log ended with:\n{log}",
                    pytrace=False)


def join(page, pseudonym: str, group: str = "") -> None:
    """Join the session whose code the page's link filled in, under ``pseudonym``."""
    page.locator(".fab-join-pseudonyme input").fill(pseudonym)
    if group:
        page.locator(".fab-join-groupe input").fill(group)
    page.locator(".fab-join-button").click()
    page.wait_for_selector("text=Bienvenue", timeout=20_000)


def draft_of(context, server: VoilaServer) -> dict | None:
    """The draft the server keeps for this browser's device (its HttpOnly cookie)."""
    from workbench.identity import DEVICE_COOKIE, draft_owner

    (device,) = [c["value"] for c in context.cookies() if c["name"] == DEVICE_COOKIE]
    found = server.store().draft(draft_owner(device, "atelier"))
    return None if found is None else found.data


def wait_for_draft(context, server: VoilaServer, check, timeout: float = 30) -> dict:
    """Poll the device's draft until ``check(data)`` holds (the app writes it about a
    second after the last change)."""
    deadline = time.monotonic() + timeout
    while True:
        data = draft_of(context, server)
        if data is not None and check(data):
            return data
        if time.monotonic() > deadline:
            pytest.fail(f"the draft never matched within {timeout} s: {data}", pytrace=False)
        time.sleep(0.2)


def wait_until_ready(server: VoilaServer, timeout: float = ROOM_READY_TIMEOUT) -> dict:
    """Poll the room's readiness signal (``GET /fabrique/salle``) until every pool is full."""
    import json

    deadline = time.monotonic() + timeout
    status: dict = {}
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"the workshop server exited with code {server.process.returncode}:\n"
                        f"{server.log_tail()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{server.url}/fabrique/salle", timeout=5) as r:
                status = json.load(r)
            if status.get("ready"):
                return status
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"the room was not ready within {timeout} s ({status}):\n"
                        f"{server.log_tail()}", pytrace=False)
        time.sleep(0.5)


def start_server(tmp: Path, participants: int = PARTICIPANTS, *extra: str,
                 env: dict[str, str] | None = None) -> VoilaServer:
    """The workshop server as `make workshop` runs it (`python -m workbench.server apps/`,
    standalone Voilà reading the root voila.json), on a free port of 127.0.0.1, with
    FABRIQUE_VAR in ``tmp``. Returns once the port answers; then call wait_until_ready."""
    port = free_port()
    (tmp / "var").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FABRIQUE_VAR": str(tmp / "var"), "PYTHONWARNINGS": "ignore",
           **(env or {})}
    env.pop("FABRIQUE_PARTICIPANTS", None)
    # ipykernel does not redirect descriptor 2 under pytest: kernels would not run as in
    # a workshop (the server's log would reach the page through sys.stderr)
    env.pop("PYTEST_CURRENT_TEST", None)
    log = tmp / "voila.log"
    cmd = [sys.executable, "-m", "workbench.server", "apps/", "--Voila.ip=127.0.0.1",
           f"--port={port}", "--no-browser", "--Voila.port_retries=0",
           f"--participants={participants}", *extra]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    return VoilaServer(f"http://127.0.0.1:{port}", log, proc, tmp / "var")


def stop_server(server: VoilaServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory) -> VoilaServer:
    """One workshop server for the browser tests, ready before the first test runs."""
    # pages closed by a test keep their kernel until the grace period ends: a cap well
    # above the room's, so that the suite never meets « salle complète » by accident
    server = start_server(tmp_path_factory.mktemp("voila"), PARTICIPANTS, "--max-kernels=40")
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, headless, with a fresh profile."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed (pip install -e '.[test]')")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        missing(f"{CHROMIUM} not found; run `bash scripts/test-system-deps.sh` as root "
                "(installs Debian's chromium)")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            missing(f"{CHROMIUM} did not start under Playwright: {exc}")
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def token(voila_server, monkeypatch) -> str:
    """The server's facilitator token: the same var/ folder (a file both sides read), or the
    same $FABRIQUE_FACILITATOR_TOKEN if the environment sets one (the server inherited it)."""
    from workbench.auth import facilitator_token

    monkeypatch.setenv("FABRIQUE_VAR", str(voila_server.var))
    return facilitator_token()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()
