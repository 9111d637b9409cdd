"""The room's kernels: a pool of pre-started participant kernels sized for the room, filled
before the doors open, refilled without competing with arrivals, capped, and freed when a
page is gone.

Voilà 0.5's own pool (``voila/voila_kernel_manager.py``) counts a kernel as pooled from the
moment its start is *scheduled*: a visitor who takes a kernel queues a replacement after
``fill_delay``, that pending replacement counts in the pool size, and the next visitor waits
for the delay plus a whole kernel start (measured: 38 s). All pooled kernels start at once,
which on 2 cores overruns start-up timeouts. So here:

- a kernel enters its pool only once its notebook has run up to the cell that waits for the
  browser's request (:class:`RoomRenderer`): the pool size *is* the number of pages that can
  be served at once, and it is the readiness signal (:meth:`RoomMixin.room_status`) that the
  tests, ``make workshop`` and the Plénière all read;
- one filler task starts kernels ``fill_concurrency`` at a time; refills wait until arrivals
  have been quiet for ``refill_quiet`` seconds, unless someone is on the waiting page;
- the number of live kernels is capped (``max_kernels``), and a kernel whose page has had no
  websocket connection for ``disconnect_grace`` seconds is shut down. The idle culler of
  jupyter_server cannot do that: the atelier's heartbeat counts as activity.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from typing import Any

from voila.notebook_renderer import NotebookRenderer
from voila.request_info_handler import RequestInfoSocketHandler
from voila.utils import ENV_VARIABLE

#: what Voilà writes (in English, whatever the configuration) in place of a cell whose
#: execution failed at the server, a kernel that died under it for one; then comes
#: ``VoilaExecutor.cell_error_instruction`` (voila.json, in French)
SERVER_ERROR_EN = "An exception occurred at the server (not the notebook). "
SERVER_ERROR_FR = "Le serveur a rencontré un problème : rechargez la page. "


def in_french(cell):
    """The cell with Voilà's English server-error text in French (other cells unchanged)."""
    for output in cell.get("outputs", ()):
        text = output.get("text")
        if (output.get("output_type") == "stream" and isinstance(text, str)
                and text.startswith(SERVER_ERROR_EN)):
            output["text"] = SERVER_ERROR_FR + text[len(SERVER_ERROR_EN):]
    return cell


class RoomRenderer(NotebookRenderer):
    """A notebook renderer that says when the notebook has run every cell but the last (the
    one that waits for the browser's request): from then on its kernel can serve a page.
    It also puts Voilà's server-error text in French."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ready = asyncio.Event()

    async def _jinja_cell_generator(self, nb, kernel_id):
        before_last = len(nb.cells) - 1
        if before_last <= 0:
            self.ready.set()
        done = 0
        async for cell in super()._jinja_cell_generator(nb, kernel_id):
            done += 1
            if done >= before_last:
                self.ready.set()
            yield in_french(cell)


class RoomMixin:
    """Mixed in front of Voilà's ``VoilaKernelManager`` (see :func:`room_kernel_manager`)."""

    # Set by the workshop server (workbench/server/app.py) right after the kernel manager is
    # built; read only once the event loop runs, so the start-up fill already uses them.
    fill_concurrency = 2  # kernels started at the same time (the machine's cores)
    refill_quiet = 8.0  # seconds without an arrival before refills start
    max_kernels = 0  # cap on live kernels (0: none)
    disconnect_grace = 40.0  # seconds a page's kernel may have no connection…
    first_connection_grace = 120.0  # …or, before its page ever connected (a slow tablet)
    ready_timeout = 300.0  # seconds a pooled kernel may take to run its notebook
    seats_notebook = "atelier.ipynb"  # the participants' page: its pool is the room's seats
    shard = ""  # this server's name behind a reverse proxy (deploy/), shown in the status
    clock = staticmethod(time.monotonic)  # seconds; the tests give their own

    def __init__(self, **kwargs):
        self._room_targets: dict[str, int] = {}
        self._room_kwargs: dict[str, dict] = {}
        self._starting: dict[str, int] = {}  # pool refills under way, until ready or failed
        self._preparing: set[str] = set()  # their kernels, once started: never culled
        self._launching = 0  # …of which not yet a listed kernel (no double count at the cap)
        self._stopping: set[str] = set()  # being shut down: leaving, not counted at the cap
        self._notebook_of: dict[str, str] = {}  # handed-out kernel -> its notebook
        self._failures: dict[str, int] = {}
        # never, not the clock's zero: time.monotonic() counts from the machine's boot, and
        # on a machine booted less than ``refill_quiet`` ago the start-up fill would wait
        # for a quiet that had already lasted since the boot (CI, a fresh server)
        self._last_arrival = -math.inf
        self._last_waiter = -math.inf
        # kernel id -> when a page last had it: handed out, or seen connected by the culler
        self._last_seen: dict[str, float] = {}
        self._connected_once: set[str] = set()
        self._wake: asyncio.Event | None = None
        self._filler: asyncio.Task | None = None
        super().__init__(**kwargs)

    # -- filling ------------------------------------------------------------------------------

    def fill_if_needed(self, delay=None, notebook_name=None, extra_kernel_env_variables=None,
                       **kwargs) -> None:
        """Voilà calls this at start-up for every notebook and after each hand-out. Here it
        only records the pool's target and wakes the filler. ``extra_kernel_env_variables``
        (the previous visitor's URL, which Voilà hands to the replacement kernel) is dropped:
        a kernel learns its own visitor's request through ``wait_for_request``."""
        if notebook_name is None:
            return
        target = self._pool_target(notebook_name)
        self._room_targets[notebook_name] = target
        self._pools.setdefault(notebook_name, [])
        if notebook_name not in self._room_kwargs:
            self._room_kwargs[notebook_name] = self._kernel_kwargs(notebook_name, kwargs)
        if delay is None:  # a hand-out, not the start-up fill
            self._last_arrival = self.clock()
        self._wake_filler()

    def _pool_target(self, notebook_name: str) -> int:
        default = self.kernel_pools_config.get("default", {})
        config = self.kernel_pools_config.get(notebook_name, default)
        return int(config.get("pool_size", default.get("pool_size", 1)))

    def _kernel_kwargs(self, notebook_name: str, kwargs: dict) -> dict:
        """What Voilà's own fill passes to ``_initialize``: the kernel's folder and env."""
        kwargs = dict(kwargs)
        kwargs.setdefault("path", os.path.dirname(notebook_name))
        default = self.kernel_pools_config.get("default", {})
        config = self.kernel_pools_config.get(notebook_name, default)
        env = os.environ.copy()
        env.update(kwargs.get("env", {}))
        for key, value in config.get("kernel_env_variables",
                                     default.get("kernel_env_variables", {})).items():
            env.setdefault(key, value)
        env[ENV_VARIABLE.VOILA_BASE_URL] = self.parent.base_url
        env[ENV_VARIABLE.VOILA_SERVER_URL] = self.parent.server_url
        env[ENV_VARIABLE.VOILA_APP_PORT] = str(self.parent.port)
        env[ENV_VARIABLE.VOILA_PREHEAT] = "True"
        kwargs["env"] = env
        return kwargs

    def _wake_filler(self) -> None:
        loop = asyncio.get_event_loop()
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._filler is None or self._filler.done():
            self._filler = loop.create_task(self._fill_forever())
        self._wake.set()

    def _live_count(self) -> int:
        live = set(self.list_kernel_ids()) - self._stopping
        return len(live) + self._launching

    def _deficit(self) -> str | None:
        """The notebook whose pool is furthest below its target, if any can start."""
        if self.max_kernels and self._live_count() >= self.max_kernels:
            return None
        best, gap = None, 0
        for nb, target in self._room_targets.items():
            if self._failures.get(nb, 0) >= 3:
                continue  # the notebook itself is broken: logged, not retried forever
            missing = target - len(self._pools.get(nb, ())) - self._starting.get(nb, 0)
            if missing > gap:
                best, gap = nb, missing
        return best

    async def _fill_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while sum(self._starting.values()) < self.fill_concurrency:
                nb = self._deficit()
                if nb is None:
                    break
                now = self.clock()
                quiet_left = self._last_arrival + self.refill_quiet - now
                someone_waits = now - self._last_waiter < 5.0
                if quiet_left > 0 and not someone_waits:
                    asyncio.get_event_loop().call_later(quiet_left, self._wake.set)
                    break
                self._starting[nb] = self._starting.get(nb, 0) + 1
                asyncio.get_event_loop().create_task(self._start_pooled(nb))

    async def _start_pooled(self, nb: str) -> None:
        content = None
        try:
            self._launching += 1
            try:
                content = await self._initialize(nb, None, **self._room_kwargs[nb])
            finally:
                self._launching -= 1  # listed from now on (or never started)
            self._preparing.add(content["kernel_id"])
            renderer: RoomRenderer = content["renderer"]
            waiting = asyncio.ensure_future(renderer.ready.wait())
            done, _ = await asyncio.wait({waiting, content["task"]},
                                         timeout=self.ready_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if waiting not in done:
                waiting.cancel()
                raise RuntimeError("the notebook did not reach its last cell "
                                   f"(timeout {self.ready_timeout:.0f} s or it failed)")
            ready = asyncio.get_event_loop().create_future()
            ready.set_result(content)
            self._pools.setdefault(nb, []).append(ready)
            self._failures[nb] = 0
            self._log_progress()
        except Exception:
            self._failures[nb] = self._failures.get(nb, 0) + 1
            self.log.exception("a pre-started kernel for %s failed (%d in a row)", nb,
                               self._failures[nb])
            if content is not None:
                try:
                    await self.shutdown_kernel(content["kernel_id"], now=True)
                except Exception:
                    self.log.debug("could not shut down the failed kernel", exc_info=True)
        finally:
            if content is not None:
                self._preparing.discard(content["kernel_id"])
            self._starting[nb] -= 1
            self._wake_filler()

    def _log_progress(self) -> None:
        status = self.room_status()
        self.log.info("%s", status["message_fr"])

    async def get_rendered_notebook(self, notebook_name: str, extra_kernel_env_variables=None,
                                    **kwargs):
        result = await super().get_rendered_notebook(notebook_name, {}, **kwargs)
        # the grace period starts now: whatever the culler saw of this kernel while it
        # waited in the pool says nothing about its page
        self._last_seen[result[2]] = self.clock()
        self._notebook_of[result[2]] = notebook_name.lstrip("/")
        return result

    def notebook_of(self, kernel_id: str) -> str | None:
        """The notebook a handed-out kernel runs (its websocket's rules depend on it)."""
        return self._notebook_of.get(kernel_id)

    def note_waiter(self) -> None:
        """Someone is on the waiting page: refills start at once."""
        self._last_waiter = self.clock()
        self._wake_filler()

    def is_pooled(self, notebook_name: str) -> bool:
        return self._room_targets.get(notebook_name, 0) > 0

    def at_cap(self) -> bool:
        return bool(self.max_kernels) and self._live_count() >= self.max_kernels

    def room_full(self, notebook: str) -> bool:
        """At the cap with no seat on its way: « salle complète ». While a refill is under
        way the visitor waits for it instead."""
        return self.at_cap() and not self._starting.get(notebook, 0)

    def room_status(self) -> dict[str, Any]:
        """Counts only, never a kernel id: safe to show anyone."""
        pools = {nb: {"ready": len(self._pools.get(nb, ())), "target": target,
                      "starting": self._starting.get(nb, 0),
                      "failed": self._failures.get(nb, 0) >= 3}
                 for nb, target in sorted(self._room_targets.items()) if target > 0}
        seats = pools.get(self.seats_notebook, {"ready": 0, "target": 0})
        ready, target = seats["ready"], seats["target"]
        filled = all(p["ready"] >= p["target"] for p in pools.values())
        listed = set(self.list_kernel_ids())
        live = len(listed)
        pooled = sum(len(p) for p in self._pools.values())
        preparing = len(self._preparing & listed)  # refills: no page has them either
        if any(p["failed"] for p in pools.values()):
            message = ("Les postes ne démarrent pas : voir le journal du serveur "
                       f"({ready} postes sur {target}).")
        elif filled:
            message = f"Salle prête : {ready} postes sur {target}"
        else:
            message = f"Salle en préparation : {ready} postes sur {target}"
        return {"ready": filled, "postes_prets": ready, "postes": target, "pools": pools,
                "kernels": live, "in_use": max(0, live - pooled - preparing),
                "connectes": self.connected(),
                "max_kernels": self.max_kernels, "message_fr": message,
                **({"shard": self.shard} if self.shard else {})}

    def connected(self) -> int:
        """Participants' pages (the seats' notebook) with a live connection to their kernel
        now: « 18 connectés » on the Plénière. A page closed or cut off stops counting at
        once; its kernel is culled ``disconnect_grace`` seconds later."""
        return sum(1 for kernel_id, nb in self._notebook_of.items()
                   if nb == self.seats_notebook
                   and self._kernel_connections.get(kernel_id, 0) > 0)

    # -- freeing ------------------------------------------------------------------------------

    async def cull_kernel_if_idle(self, kernel_id: str):
        """Shut down a page's kernel once it has had no connection for ``disconnect_grace``
        seconds, counted from the last time a page had it (handed out, or seen connected),
        or ``first_connection_grace`` seconds if its page never connected (a tablet on the
        room's Wi-Fi may take long to load the page); leave connected ones alone (a
        participant may think for a long time). A kernel that is running its notebook for
        the pool, or waits in it, has no page yet: it is never culled, and its time in the
        pool does not count against the page it goes to."""
        if kernel_id in self._preparing or self._pooled(kernel_id):
            self._last_seen.pop(kernel_id, None)
            return
        now = self.clock()
        if self._kernel_connections.get(kernel_id, 0) > 0:
            self._last_seen[kernel_id] = now
            self._connected_once.add(kernel_id)
            return
        since = self._last_seen.setdefault(kernel_id, now)  # a kernel from outside the pools
        grace = (self.disconnect_grace if kernel_id in self._connected_once
                 else max(self.disconnect_grace, self.first_connection_grace))
        if now - since >= grace:
            self.log.info("a page's kernel had no connection for %.0f s: shut down",
                          now - since)
            self.log.debug("culled kernel %s", kernel_id)
            await self.shutdown_kernel(kernel_id)

    def _pooled(self, kernel_id: str) -> bool:
        return any(f.done() and not f.exception() and f.result().get("kernel_id") == kernel_id
                   for pool in self._pools.values() for f in pool)

    async def shutdown_all(self, *args, **kwargs):
        self._room_targets.clear()  # stopping: nothing refills
        if self._filler is not None:
            self._filler.cancel()
        return await super().shutdown_all(*args, **kwargs)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        self._last_seen.pop(kernel_id, None)
        self._connected_once.discard(kernel_id)
        RequestInfoSocketHandler._cache.pop(kernel_id, None)  # its visitor's request, unread
        self._notebook_of.pop(kernel_id, None)
        self._stopping.add(kernel_id)
        self._wake_filler()  # its place at the cap is free already
        try:
            return await super().shutdown_kernel(kernel_id, *args, **kwargs)
        finally:
            self._stopping.discard(kernel_id)
            self._wake_filler()


def room_kernel_manager(voila_kernel_manager: type) -> type:
    """Voilà's generated kernel manager class with the room's rules in front of it."""

    class FabriqueKernelManager(RoomMixin, voila_kernel_manager):
        def _notebook_renderer_factory(self, notebook_path=None):
            renderer = super()._notebook_renderer_factory(notebook_path)
            renderer.__class__ = RoomRenderer  # same state, plus the readiness event
            renderer.ready = asyncio.Event()
            return renderer

    return FabriqueKernelManager
