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
SERVER_START_TIMEOUT = 60  # s; Voilà answers in ~2 s


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


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory) -> VoilaServer:
    """`python -m voila apps/` (standalone, port_retries=0) from the repository root, so it
    reads the root voila.json; FABRIQUE_VAR points to a temporary folder. Ready when a static
    file answers (requesting `/` or a notebook would execute one)."""
    port = free_port()
    tmp = tmp_path_factory.mktemp("voila")
    (tmp / "var").mkdir()
    env = {**os.environ, "FABRIQUE_VAR": str(tmp / "var"), "PYTHONWARNINGS": "ignore"}
    log = tmp / "voila.log"
    cmd = [sys.executable, "-m", "voila", "apps/", "--Voila.ip=127.0.0.1", f"--port={port}",
           "--no-browser", "--Voila.port_retries=0"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    server = VoilaServer(f"http://127.0.0.1:{port}", log, proc, tmp / "var")
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"voila exited with code {proc.returncode} before answering:\n"
                            f"{server.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{server.url}/voila/static/voila.js",
                                            timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"voila did not answer within {SERVER_START_TIMEOUT} s:\n"
                            f"{server.log_tail()}", pytrace=False)
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


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
def context(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()
