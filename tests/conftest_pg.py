"""A throwaway PostgreSQL server for the store tests (import the fixture where it is needed).

It uses Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, from the
``postgresql`` package that ``scripts/test-system-deps.sh`` installs): ``initdb`` a cluster in a
temporary folder with trust authentication, start it on a free loopback port with its socket
in that folder, and stop it (``pg_ctl stop -m fast``) at the end of the test session, even on
failure. PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres``
system user (created by the Debian package) and the binaries run through ``runuser``.
Without the binaries the tests skip, or fail in CI (CI=true).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import free_port

MISSING = "PostgreSQL server not installed: run scripts/test-system-deps.sh as root"
SUPERUSER = "postgres"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the store's PostgreSQL tests must run)", pytrace=False)
    pytest.skip(reason)


def find_pg_bin() -> Path | None:
    """The newest Debian PostgreSQL server bin folder (not /usr/local/bin shims)."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        folder = Path(initdb).parent
        version = re.match(r"\d+", folder.parent.name)
        tools = ("initdb", "pg_ctl", "postgres")
        if version and all(os.access(folder / b, os.X_OK) for b in tools):
            found.append((int(version.group()), folder))
    return max(found)[1] if found else None


@dataclass
class PostgresServer:
    """A running throwaway cluster; `new_database()` gives a fresh, empty database URL."""

    port: int
    bin: Path
    _counter: itertools.count

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"store_test_{next(self._counter)}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL cluster for the test session; stop and delete it afterwards."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        _unavailable(MISSING)
    prefix: list[str] = []
    if os.geteuid() == 0:
        try:
            pg_user = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable(f"{MISSING} (running as root and there is no 'postgres' user)")
        runuser = shutil.which("runuser")
        prefix = [runuser, "-u", "postgres", "--"] if runuser else None
        if prefix is None:
            _unavailable("running as root without runuser: cannot start PostgreSQL as 'postgres'")
    base = Path(tempfile.mkdtemp(prefix="fabrique-pg-"))  # short: the socket path is limited
    if os.geteuid() == 0:
        os.chown(base, pg_user.pw_uid, pg_user.pw_gid)
    data, log = base / "data", base / "server.log"
    port = free_port()

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *args], capture_output=True, text=True,
                              timeout=timeout, cwd=base)

    started = False
    try:
        out = run(str(pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER,
                  "-E", "UTF8", "--no-locale", "--no-sync")
        if out.returncode:
            pytest.fail(f"initdb failed:\n{out.stdout}\n{out.stderr}", pytrace=False)
        options = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=60")
        out = run(str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "30",
                  "-o", options, "start")
        started = out.returncode == 0
        if not started:
            text = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"pg_ctl start failed:\n{out.stdout}\n{out.stderr}\n{text}", pytrace=False)
        yield PostgresServer(port=port, bin=pg_bin, _counter=itertools.count(1))
    finally:
        if started or (data / "postmaster.pid").exists():
            run(str(pg_bin / "pg_ctl"), "-D", str(data), "-w", "-t", "30", "stop", "-m", "fast")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """Each store test runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("postgresql_server").new_database()


@pytest.fixture
def store(url):
    """A Store on each of the two backends (import ``url`` and ``store`` with it)."""
    from workbench.store import Store

    s = Store(url)
    yield s
    s.dispose()
