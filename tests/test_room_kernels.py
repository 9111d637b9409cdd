"""The room's kernel rules (workbench.server.room.RoomMixin) against a stand-in for Voilà's
kernel manager, on a clock the test moves: which kernels the culler may shut down, and when
a handed-out kernel's grace period starts. The browser tests (tests/browser/test_room.py)
run the same rules in the real server."""

from __future__ import annotations

import asyncio
import logging
import threading
from types import SimpleNamespace
from uuid import uuid4

import pytest

from workbench.server.room import RoomMixin

NB = "atelier.ipynb"


class StandInVoilaManager:
    """What RoomMixin uses of Voilà's kernel manager: pools of futures, kernels that start
    at once and run their notebook until the test says they are ready."""

    def __init__(self, **kwargs):
        self._pools: dict[str, list] = {}
        self.kernel_pools_config = {"default": {"pool_size": 2}}
        self._kernel_connections: dict[str, int] = {}
        self.kernels: dict[str, SimpleNamespace] = {}
        self.parent = SimpleNamespace(base_url="/", server_url="/", port=8866)
        self.log = logging.getLogger("test-room")
        self.shut_down: list[str] = []

    def list_kernel_ids(self) -> list[str]:
        return list(self.kernels)

    async def _initialize(self, notebook_name, _env, **kwargs):
        kernel_id = str(uuid4())
        renderer = SimpleNamespace(ready=asyncio.Event())
        task = asyncio.get_running_loop().create_future()  # the notebook's last cell
        self.kernels[kernel_id] = renderer
        return {"kernel_id": kernel_id, "renderer": renderer, "task": task}

    async def get_rendered_notebook(self, notebook_name, extra_kernel_env_variables, **kw):
        content = await self._pools[notebook_name].pop(0)
        self.fill_if_needed(delay=None, notebook_name=notebook_name)
        return content["task"], [], content["kernel_id"]

    async def shutdown_kernel(self, kernel_id, *args, **kwargs):
        self.kernels.pop(kernel_id)
        self.shut_down.append(kernel_id)

    async def shutdown_all(self, *args, **kwargs):
        for kernel_id in list(self.kernels):
            await self.shutdown_kernel(kernel_id)


class Room(RoomMixin, StandInVoilaManager):
    fill_concurrency = 2
    refill_quiet = 0.0
    disconnect_grace = 40.0

    def __init__(self):
        super().__init__()
        self.now = 0.0
        self.clock = lambda: self.now


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def started(room: Room, n: int) -> list[str]:
    for _ in range(200):
        await settle()
        if len(room.kernels) >= n:
            return list(room.kernels)
    raise AssertionError(f"{len(room.kernels)} kernels started, {n} expected")


async def make_ready(room: Room, kernel_ids) -> None:
    for kernel_id in kernel_ids:
        room.kernels[kernel_id].ready.set()
    await settle()


async def cull_at(room: Room, t: float) -> None:
    room.now = t
    for kernel_id in list(room.kernels):
        await room.cull_kernel_if_idle(kernel_id)


def run(coro) -> None:
    """On a loop of its own in a thread: Playwright's sync API (the browser tests) may own
    the main thread's loop already."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_a_kernel_running_its_notebook_for_the_pool_is_never_culled():
    async def scenario():
        room = Room()
        room.fill_if_needed(delay=0, notebook_name=NB)
        first = await started(room, 2)
        await cull_at(room, 0.0)
        await cull_at(room, 120.0)  # a slow start on a loaded machine: still preparing
        assert room.shut_down == []
        await make_ready(room, first)
        assert room.room_status()["postes_prets"] == 2
        await cull_at(room, 600.0)  # waiting in the pool for the doors to open
        assert room.shut_down == []
        await room.shutdown_all()

    run(scenario())


def test_the_grace_period_starts_when_the_page_gets_its_kernel():
    """A kernel the culler saw while it started, then waited ten minutes in the pool, was
    shut down the moment a visitor got it, before the page could open its websocket: the
    page then said « An exception occurred at the server » (CI, 2026-12-01)."""

    async def scenario():
        room = Room()
        room.fill_if_needed(delay=0, notebook_name=NB)
        first = await started(room, 2)
        await cull_at(room, 0.0)
        await make_ready(room, first)
        room.now = 600.0
        _, _, kernel_id = await room.get_rendered_notebook(NB)
        await cull_at(room, 605.0)  # the page is still loading: no websocket yet
        assert kernel_id not in room.shut_down
        room._kernel_connections[kernel_id] = 1
        await cull_at(room, 700.0)  # connected: a participant may think for long
        assert kernel_id not in room.shut_down
        room._kernel_connections[kernel_id] = 0  # the page is gone (a dropped Wi-Fi)…
        await cull_at(room, 710.0)
        await cull_at(room, 739.0)
        assert kernel_id not in room.shut_down
        await cull_at(room, 740.0)  # …for the grace period since it was last seen connected
        assert room.shut_down == [kernel_id]
        await room.shutdown_all()

    run(scenario())


def test_a_page_that_never_connects_frees_its_kernel_after_the_grace_period():
    async def scenario():
        room = Room()
        room.fill_if_needed(delay=0, notebook_name=NB)
        await make_ready(room, await started(room, 2))
        room.now = 100.0
        _, _, kernel_id = await room.get_rendered_notebook(NB)
        await cull_at(room, 219.0)  # a slow tablet is still loading the page
        assert kernel_id not in room.shut_down
        await cull_at(room, 220.0)
        assert room.shut_down == [kernel_id]
        await room.shutdown_all()

    run(scenario())


@pytest.mark.parametrize("ready_first", [True, False])
def test_a_refill_is_never_culled_whatever_the_culler_saw_before(ready_first):
    async def scenario():
        room = Room()
        room.fill_if_needed(delay=0, notebook_name=NB)
        first = await started(room, 2)
        await make_ready(room, first)
        room.now = 10.0
        await room.get_rendered_notebook(NB)  # a hand-out: one refill starts
        refill = (await started(room, 3))[-1]
        await cull_at(room, 10.0)
        if ready_first:
            await make_ready(room, [refill])
        await cull_at(room, 300.0)
        assert refill not in room.shut_down
        await room.shutdown_all()

    run(scenario())


def test_in_use_counts_the_kernels_pages_have_not_the_refills():
    async def scenario():
        room = Room()
        room.fill_if_needed(delay=0, notebook_name=NB)
        await make_ready(room, await started(room, 2))
        assert room.room_status()["in_use"] == 0
        _, _, kernel_id = await room.get_rendered_notebook(NB)
        await started(room, 3)  # its refill is running its notebook
        assert room.room_status()["in_use"] == 1
        await room.shutdown_kernel(kernel_id)  # the page left
        status = room.room_status()
        assert status["in_use"] == 0 and status["kernels"] == 2
        await room.shutdown_all()

    run(scenario())


def test_voila_s_server_error_reaches_the_page_in_french():
    from workbench.server.room import SERVER_ERROR_EN, in_french

    instruction = "Le calcul n'a pas pu être affiché. Merci de prévenir l'équipe d'animation."
    cell = {"outputs": [{"output_type": "stream", "name": "stderr",
                         "text": SERVER_ERROR_EN + instruction}]}
    text = in_french(cell)["outputs"][0]["text"]
    assert text == ("Le serveur a rencontré un problème : rechargez la page. " + instruction)
    other = {"outputs": [{"output_type": "stream", "name": "stdout", "text": "An exception"}]}
    assert in_french(other)["outputs"][0]["text"] == "An exception"
    assert in_french({"cell_type": "markdown", "source": "x"}) == {"cell_type": "markdown",
                                                                  "source": "x"}


def test_a_kernel_s_request_is_kept_until_it_listens_and_no_longer():
    """Voilà keeps a visitor's request (its query string, the Plénière's token among them)
    for a kernel that is not listening yet; it was never forgotten. Closing one listener
    removed another kernel's (Voilà's on_close deletes the last one it looked at)."""
    from voila.request_info_handler import RequestInfoSocketHandler as Voila

    from workbench.server.handlers import KernelOnlyRequestInfoHandler

    def listener():
        handler = object.__new__(KernelOnlyRequestInfoHandler)  # no connection needed
        handler.sent = []
        handler.write_message = handler.sent.append
        return handler

    waiters, cache = dict(Voila._waiters), dict(Voila._cache)
    Voila._waiters.clear()
    Voila._cache.clear()
    try:
        Voila.send_updates({"kernel_id": "k1", "payload": '{"QUERY_STRING": "jeton=x"}'})
        first, second = listener(), listener()
        first.open("k1")
        assert first.sent == ['{"QUERY_STRING": "jeton=x"}'] and "k1" not in Voila._cache
        second.open("k2")
        first.on_close()
        assert Voila._waiters == {"k2": second}  # the other kernel keeps its listener
        second.on_close()
        assert Voila._waiters == {}
        second.on_close()  # twice: nothing to forget, nothing raised

        Voila.send_updates({"kernel_id": "k3", "payload": "{}"})  # k3 never listened…
        room = Room()
        room.kernels["k3"] = SimpleNamespace()
        run(room.shutdown_kernel("k3"))
        assert "k3" not in Voila._cache  # …and its request went with it
    finally:
        Voila._waiters.clear()
        Voila._waiters.update(waiters)
        Voila._cache.clear()
        Voila._cache.update(cache)


def test_the_start_up_fill_does_not_wait_for_quiet_on_a_machine_just_booted():
    """time.monotonic() counts from the boot: at 20 s of uptime, with refills waiting for
    an hour of quiet, the start-up fill still starts every seat at once (CI saw a room
    never fill on a machine booted 22 minutes before)."""

    async def scenario():
        room = Room()
        room.refill_quiet = 3600.0
        room.now = 20.0
        room.fill_if_needed(delay=0, notebook_name=NB)
        await make_ready(room, await started(room, 2))
        assert len(room._pools[NB]) == 2
        # a hand-out, though, is an arrival: its refill waits for the quiet
        await room.get_rendered_notebook(NB)
        await settle()
        assert len(room.kernels) == 2 and len(room._pools[NB]) == 1

    run(scenario())


def test_connected_counts_the_participants_pages_with_a_live_connection():
    """« 18 participants connectés »: handed-out atelier kernels whose page is connected
    now; neither the pool, nor a page that left, nor the Plénière's own page."""

    async def scenario():
        room = Room()
        room.fill_if_needed(delay=0, notebook_name=NB)
        await make_ready(room, await started(room, 2))
        assert room.connected() == 0 and room.room_status()["connectes"] == 0
        _, _, first = await room.get_rendered_notebook(NB)
        _, _, second = await room.get_rendered_notebook(NB)
        room._notebook_of["plenary-kernel"] = "pleniere.ipynb"
        room._kernel_connections.update({first: 1, second: 0, "plenary-kernel": 1})
        assert room.connected() == 1
        room._kernel_connections[second] = 2  # a page reconnected (two sockets)
        assert room.room_status()["connectes"] == 2
        room._kernel_connections[first] = 0  # that page closed
        assert room.connected() == 1

    run(scenario())
