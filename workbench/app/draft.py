"""A page's work in progress, kept in the store for its device: after a reload, a closed tab,
a lost connection or a server restart, the same device gets back what it was doing.

The app says what its draft is (a JSON object: ``snapshot``) and how to take it back
(``restore``); this keeper decides when to write it. A change is written once the page has
been still for :data:`DELAY_S` (one write per burst of slider moves or keystrokes, not one
per message), and at once for what must not wait (joining, sending). Outside a running
event loop (tests, scripts) every change is written at once.

The writes themselves run on one thread of the keeper's own, in order: a write waits for
the store's lock and a disk sync (SQLite, ``synchronous=FULL``), which with a room of 50
kernels writing at once took the kernel away from the next lever move. A delayed write
leaves the kernel's loop at once; a write made ``now`` waits for its turn and returns
whether it landed. A write overtaken by a newer one is skipped.

What is saved is what the kernel received: a move made while the connection was already
gone never reached it, and the page's watchdog says so (share/jupyter/voila/templates/
fabrique). A failing store is logged, never shown: the draft is a convenience, the
submission is what must not be lost (it keeps its own French message)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="fabrique-draft")
        self._lock = threading.Lock()
        self._seq = 0  # the newest snapshot handed to the writer
        self._changes = 0  # changes seen: a write makes ``saved`` true only if none followed

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
        with self._lock:
            self._changes += 1
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
        self._pending = loop.call_later(self.delay, self._save_soon)

    def flush(self) -> None:
        """Write now a change still waiting for its delay (before sending a future)."""
        if self._pending is not None:
            self.save()

    def save(self) -> bool:
        """Write the draft now (after any write under way); returns whether it landed."""
        written = self._hand_over()
        return bool(written is not None and written.result())

    def _save_soon(self) -> None:
        """The delayed write: handed to the writer, the kernel's loop goes on."""
        self._hand_over()

    def _hand_over(self) -> Future | None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if not self.owner:
            return None
        with self._lock:
            self._seq += 1
            seq, changes = self._seq, self._changes
        # the snapshot is taken here, in the kernel's thread, where the widgets live
        return self._writer.submit(self._write, seq, changes, self.owner, self._snapshot())

    def _write(self, seq: int, changes: int, owner: str, data: dict) -> bool:
        with self._lock:
            if seq != self._seq:  # a newer snapshot follows: it is the one to write
                return self.saved
        try:
            self._store().save_draft(owner, data)
        except Exception:
            log.warning("could not save the draft", exc_info=True)
            ok = False
        else:
            ok = True
        with self._lock:
            if seq == self._seq and changes == self._changes:
                self.saved = ok
        return ok

    def forget(self) -> None:
        """Remove the draft (a new person on this device)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.owner:
            with self._lock:
                self._seq += 1  # a write still queued is skipped: it was this person's
            self._writer.submit(self._forget, self.owner).result()

    def _forget(self, owner: str) -> None:
        try:
            self._store().forget_draft(owner)
        except Exception:
            log.warning("could not remove the draft", exc_info=True)
