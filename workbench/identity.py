"""A participant's device, and what makes a submission the same one again.

One source of truth for both sides:

- the workshop server gives every browser a random device id in an HttpOnly cookie
  (``fabrique_appareil``) on its first page and hands it to that page's kernel as the
  request header ``X-Fabrique-Appareil`` (set by the server, never taken from the client's
  headers), which Voilà puts in the kernel's environment as ``HTTP_X_FABRIQUE_APPAREIL``;
- the atelier derives the participant's identity in a session from that device and the
  session (:func:`participant_id`): one current future per person, a pseudonym that is
  theirs alone;
- the page's draft (levers, joined state, pseudonym, group, text being written) is kept
  for that device (:func:`draft_owner`), so a reload or a lost connection loses nothing;
- and each submission's idempotency key from that device and the future itself (session,
  pseudonym, group, levers, text). A double click, a retry after a reload and a retry
  after the server restarted all send the same key, so the store keeps one row.

The device id is never shown, logged or stored; only a hash of it reaches the store, inside
the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import uuid
from collections.abc import Mapping

DEVICE_COOKIE = "fabrique_appareil"
DEVICE_HEADER = "X-Fabrique-Appareil"
DEVICE_ENV = "HTTP_X_FABRIQUE_APPAREIL"
DEVICE_DAYS = 30  # a borrowed tablet forgets it within a month
_DEVICE_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def valid_device(value: object) -> bool:
    return isinstance(value, str) and _DEVICE_RE.fullmatch(value) is not None


def new_device() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits, 24 characters


def kernel_device(env: Mapping[str, str] = os.environ) -> str:
    """This kernel's visitor's device id, or a random one (outside the workshop server,
    or an old page): then only a double click is recognised, not a retry after a reload."""
    value = env.get(DEVICE_ENV, "")
    return value if valid_device(value) else uuid.uuid4().hex


def participant_id(device: str, session_code: str, person: str = "") -> str:
    """The participant in one session, as the store keeps it: 32 hex characters, the same
    on every reload from the same device, different in another session, and from which
    the device id cannot be read back. A participant has one current future per session
    (``Store.current``): a new one replaces the previous.

    ``person`` tells apart the people who use one device in turn (a borrowed tablet): the
    atelier draws a new one when someone says « je suis une autre personne », and keeps it
    in the device's draft. "" is the device's first person."""
    parts = ["participant", device, session_code] + ([person] if person else [])
    payload = json.dumps(parts, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def draft_owner(device: str, app: str) -> str:
    """Whose draft the store keeps (``Store.save_draft``): one per device and app, 32 hex
    characters from which the device id cannot be read back. A reload, a closed tab or a
    lost connection on the same device finds it again; no other device can."""
    payload = json.dumps(["draft", device, app], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def submission_key(device: str, session_code: str, pseudonym: str, group: str,
                   levers: Mapping[str, float], text: str) -> str:
    """The idempotency key of one future sent from one device: 64 hex characters."""
    payload = json.dumps([device, session_code, pseudonym, group,
                          sorted((k, float(v)) for k, v in levers.items()), text],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
