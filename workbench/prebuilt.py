"""A built engine kept on disk, so that a workshop kernel does not build its own.

Building an :class:`~workbench.engine.Engine` reads the territory's CSV tables with pandas;
the built engine holds only numpy arrays and plain Python objects. The workshop server
writes it once (``var/cache/engine-<fingerprint>.pickle``) before it starts the room's
kernels, and each atelier kernel reads it back: it never imports pandas, which is 44 MB of
each participant's kernel (issue 11, item 5), and starts half a second sooner.

The fingerprint covers every file the build reads or runs (the package's code, data and
lever registry, the codelist) and the Python and numpy versions: a changed file, a changed
``FABRIQUE_INDICATORS`` or an upgrade gives a new file, never a stale engine. The cache
holds pickles: it is in the server's own run-time folder (``FABRIQUE_VAR``, created private),
and nothing from a participant ever reaches it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np

from .engine import Engine
from .paths import PACKAGE_DIR, indicators_dir, var_dir
from .territory import DEFAULT_TERRITORY

log = logging.getLogger(__name__)
SUFFIXES = {".py", ".csv", ".yaml", ".yml", ".json"}


def fingerprint() -> str:
    """A digest of everything a default engine is built from."""
    h = hashlib.sha256(f"{sys.version}|numpy {np.__version__}|{DEFAULT_TERRITORY}".encode())
    for root in (PACKAGE_DIR, indicators_dir()):
        for f in sorted(p for p in Path(root).rglob("*") if p.suffix in SUFFIXES):
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def cache_file() -> Path:
    return var_dir() / "cache" / f"engine-{fingerprint()}.pickle"


def write() -> Path:
    """Build the default engine and write it (atomically); older builds are removed."""
    path = cache_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)  # a folder made earlier with looser rights, too
    engine = Engine()
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".engine-", delete=False) as out:
        try:
            pickle.dump(engine, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, path)
    for old in path.parent.glob("engine-*.pickle"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


def _private(path: Path) -> bool:
    """Whether ``path`` and its folder belong to this user and nobody else may write them
    (a pickle runs code when it is read)."""
    for p in (path.parent, path):
        st = p.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o022:
            return False
    return True


def engine() -> Engine:
    """The default engine: read from the cache when one matches, else built here (with
    pandas) — a kernel started before the server wrote the cache still works."""
    path = cache_file()
    try:
        if not _private(path):
            log.warning("%s is not this user's private file: building an engine", path.name)
            return Engine()
        with open(path, "rb") as f:
            found = pickle.load(f)
        if isinstance(found, Engine):
            return found
        log.warning("%s holds no engine; building one", path.name)
    except FileNotFoundError:
        log.info("no prebuilt engine (%s); building one", path.name)
    except Exception:  # a truncated or foreign file: build, as without a cache
        log.warning("could not read %s; building an engine", path.name, exc_info=True)
    return Engine()
