"""The draft keeper (workbench/app/draft.py) writes on a thread of its own, in order: a
slow store (SQLite's lock and disk sync, with a room writing at once) never holds up the
kernel's loop, and a write overtaken by a newer one is skipped."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from workbench.app.draft import DraftKeeper


class GatedStore:
    """Records each draft written, with its thread; the first write waits for ``gate``."""

    def __init__(self):
        self.gate = threading.Event()
        self.written: list[tuple[int, dict]] = []

    def save_draft(self, owner, data):
        if not self.written and not self.gate.is_set():
            self.gate.wait(30)
        self.written.append((threading.get_ident(), dict(data)))

    def forget_draft(self, owner):
        self.written.append((threading.get_ident(), {}))


async def until(predicate, steps: int = 1500) -> None:
    for _ in range(steps):
        if predicate():
            return
        await asyncio.sleep(0.02)
    assert predicate()


def test_a_delayed_draft_is_written_off_the_loop_in_order_and_skips_what_is_overtaken():
    store = GatedStore()
    state = {"n": 0}

    async def scenario():
        keeper = DraftKeeper(lambda: store, "atelier", lambda: dict(state))
        keeper.owner, keeper.delay = "o" * 32, 0.01
        loop_thread = threading.get_ident()
        state["n"] = 1
        keeper.changed()
        await until(lambda: keeper._seq == 1)  # handed over; its write waits on the gate
        for n in (2, 3):  # the loop goes on while the first write is held up
            state["n"] = n
            keeper.changed()
            await until(lambda n=n: keeper._seq == n)
        assert store.written == [] and not keeper.saved
        store.gate.set()
        await until(lambda: keeper.saved)
        assert [d["n"] for _, d in store.written] == [1, 3]  # 2 was overtaken by 3
        assert all(t != loop_thread for t, _ in store.written)
        keeper.forget()  # a new person: the removal comes after every write
        assert store.written[-1][1] == {}

    with ThreadPoolExecutor(1) as pool:  # Playwright may hold the main thread's loop
        pool.submit(asyncio.run, scenario()).result(timeout=60)


def test_a_draft_written_now_has_landed_when_save_returns():
    store = GatedStore()
    store.gate.set()
    keeper = DraftKeeper(lambda: store, "atelier", lambda: {"n": 7})
    keeper.owner = "o" * 32
    keeper.changed(now=True)
    assert store.written[-1][1] == {"n": 7} and keeper.saved
