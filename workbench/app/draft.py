"""A page's work in progress, kept in the store for its device: after a reload, a closed tab,
a lost connection or a server restart, the same device gets back what it was doing.

The app says what its draft is (a JSON object: ``snapshot``) and how to take it back
(``restore``); this keeper decides when to write it. A change is written once the page has
been still for :data:`DELAY_S` (one write per burst of slider moves or keystrokes, not one
per message), and at once for what must not wait (joining, sending). Outside a running
event loop (tests, scripts) every change is written at once.

What is saved is what the kernel received: a move made while the connection was already
gone never reached it, and the page's watchdog says so (share/jupyter/voila/templates/
fabrique). A failing store is logged, never shown: the draft is a convenience, the
submission is what must not be lost (it keeps its own French message)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..identity import draft_owner

log = logging.getLogger("workbench.app.draft")

DELAY_S = 0.8


class DraftKeeper:
    """Writes ``snapshot()`` as the draft of ``device`` for ``app``, soon after each change."""

    def __init__(self, store: Callable[[], object], app: str, snapshot: Callable[[], dict]):
        self._store = store
        self._app = app
        self._snapshot = snapshot
        self.owner = ""
        self._pending = None
        self._muted = False
        self.delay = DELAY_S  # 0: every change written at once (tests)
        self.saved = False  # whether the last change is in the store

    def attach(self, device: str) -> dict | None:
        """Use ``device``'s draft from now on; returns the draft kept for it, if any, as
        ``{"data": ..., "updated": datetime}``."""
        self.owner = draft_owner(device, self._app)
        try:
            found = self._store().draft(self.owner)
        except Exception:
            log.warning("could not read the draft", exc_info=True)
            return None
        return None if found is None else {"data": found.data, "updated": found.updated}

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Changes made inside are not saved (while the draft itself is restored)."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False

    def changed(self, now: bool = False) -> None:
        """Something in the draft changed: save it soon (or ``now``)."""
        if not self.owner or self._muted:
            return
        self.saved = False
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
        if now or self.delay <= 0 or loop is None or not loop.is_running():
            self.save()
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.delay, self.save)

    def flush(self) -> None:
        """Write now a change still waiting for its delay (before sending a future)."""
        if self._pending is not None:
            self.save()

    def save(self) -> bool:
        """Write the draft now; returns whether it is in the store."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if not self.owner:
            return False
        try:
            self._store().save_draft(self.owner, self._snapshot())
        except Exception:
            log.warning("could not save the draft", exc_info=True)
            self.saved = False
        else:
            self.saved = True
        return self.saved

    def forget(self) -> None:
        """Remove the draft (a new person on this device)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.owner:
            try:
                self._store().forget_draft(self.owner)
            except Exception:
                log.warning("could not remove the draft", exc_info=True)
