"""The facilitator's token: what gives the Plénière's powers, and nothing else does.

The token is $FABRIQUE_FACILITATOR_TOKEN, or a random one stored once in
``var/facilitator-token`` (mode 0600). It is compared in constant time, never logged, and
never put in a link given to participants."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from .paths import var_dir

TOKEN_ENV = "FABRIQUE_FACILITATOR_TOKEN"
TOKEN_FILE = "facilitator-token"
TOKEN_PARAM = "jeton"
PLENIERE_PATH = "voila/render/pleniere.ipynb"
LOCAL_URL = f"http://127.0.0.1:8866/{PLENIERE_PATH}"


def _read_token(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""


def _create_token(path: Path) -> str:
    """Write a new token to ``path`` atomically (mode 0600); if another process created
    one meanwhile, keep and return theirs, so the token never changes once made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(16)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(token + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if the file exists: first writer wins
        except FileExistsError:
            existing = _read_token(path)
            if existing:
                return existing
            os.replace(tmp, path)  # an empty leftover: replace it
        except OSError:  # no hard links on this file system
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return token


def facilitator_token(create: bool = True) -> str:
    """The facilitator's token: $FABRIQUE_FACILITATOR_TOKEN if set, else the one stored in
    ``var_dir() / "facilitator-token"`` (mode 0600), created at random on first use when
    ``create`` (otherwise "" when there is none)."""
    env = os.environ.get(TOKEN_ENV, "").strip()
    if env:
        return env
    path = var_dir() / TOKEN_FILE
    token = _read_token(path)
    if token or not create:
        return token
    return _create_token(path)


def token_ok(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an empty token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def facilitator_url(token: str, base: str = LOCAL_URL) -> str:
    return f"{base}?{TOKEN_PARAM}={quote(token, safe='')}"


REFUSED_FR = "Cette page est réservée à l'équipe d'animation."

#: the cookie that proves, on the Plénière's kernel websocket, that its holder opened the
#: page with the token (workbench.server checks it on every connection)
PROOF_COOKIE = "fabrique_animateur"
FACILITATOR_NOTEBOOKS = frozenset({"pleniere.ipynb"})


def facilitator_proof(token: str) -> str:
    """What the cookie holds: a hash of the token, never the token itself."""
    import hashlib

    return hashlib.sha256(("fabrique-animateur\x1f" + token).encode("utf-8")).hexdigest()
