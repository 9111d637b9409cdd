"""The workshop server killed (SIGKILL) while a room sends its futures, then started again on
the same store: every acknowledged future is there, each page comes back joined with its
text (its draft), the participants' retries (the same browser, a new page) count once, and
each page says, on joining, whether its future landed.

The participants are scripted pages on the kernel websocket (tests/browser/kernel_ws.py),
each with its own device cookie, as the server gave it."""

from __future__ import annotations

import asyncio
import os
import re
import signal

import psutil
from tornado.websocket import WebSocketClosedError

from ..browser.conftest import start_server, stop_server, wait_until_ready
from ..browser.kernel_ws import AtelierClient, in_thread

N = 10  # participants: a room of 10 (12 pre-started kernels), filled twice
ID = re.compile(r"enregistré \(n° (\d+)\)")


def pseudonym(i: int) -> str:
    return f"Panne {i:02d}"


async def join_and_prepare(client: AtelierClient, code: str, i: int,
                           reloaded: bool = False) -> str:
    """Join with this participant's pseudonym, set one lever to this participant's own
    value and write the text, as the person does again after the crash; returns what the
    page said on joining. A ``reloaded`` page has joined already: its draft brought the
    session, the pseudonym and the text back (workbench/app/draft.py)."""
    text = f"Le futur n° {i} : moins de voitures."
    _, slider = sorted(client.sliders().items())[0]
    if reloaded:
        assert client.state("fab-join-button")["disabled"], "the draft did not rejoin"
        assert client.state("fab-join-pseudonyme")["value"] == pseudonym(i)
        assert client.state("fab-text")["value"] == text
        assert slider["value"] == client.chosen
        return client.state("fab-join-msg")["value"]
    await client.set(client.widget("fab-join-code"), code)
    await client.set(client.widget("fab-join-pseudonyme"), pseudonym(i))
    shown = await client.click("fab-join-button")
    assert "Bienvenue" in shown, shown
    value = round(slider["min"] + (i % 5) * slider["step"], 6)
    if value == slider["value"]:
        value = round(value + slider["step"], 6)
    client.chosen = value
    await client.set(slider["comm_id"], value)
    await client.set(client.widget("fab-text"), text)
    return shown


async def drafts_hold_the_texts(server, clients, timeout: float = 60) -> None:
    from workbench.identity import DEVICE_COOKIE, draft_owner

    store, deadline = server.store(), asyncio.get_running_loop().time() + timeout
    owners = {i: draft_owner(c.cookies[DEVICE_COOKIE], "atelier") for i, c in enumerate(clients)}
    while True:
        missing = [i for i, o in owners.items() if (d := store.draft(o)) is None
                   or d.data.get("text") != f"Le futur n° {i} : moins de voitures."]
        if not missing:
            return
        assert asyncio.get_running_loop().time() < deadline, f"drafts missing: {missing}"
        await asyncio.sleep(0.2)


def test_killing_the_server_mid_burst_loses_nothing_acknowledged_and_retries_count_once(
        tmp_path):
    server = start_server(tmp_path, N)
    try:
        wait_until_ready(server)
        session = server.store().create_session("Panne du serveur")
        clients = [AtelierClient(server.url) for _ in range(N)]
        acked: dict[int, int] = {}  # participant -> acknowledged id

        async def burst() -> list[psutil.Process]:
            from tornado.httpclient import AsyncHTTPClient

            AsyncHTTPClient.configure(None, max_clients=N + 2)
            for c in clients:
                await c.open()
            for i, c in enumerate(clients):
                await join_and_prepare(c, session.display_code, i)
            # people take more than a second between writing and sending: each draft is in
            # the store (a kernel killed within DELAY_S of a keystroke loses that keystroke)
            await drafts_hold_the_texts(server, clients)
            kernels = psutil.Process(server.process.pid).children(recursive=True)

            async def send(i: int, c: AtelierClient) -> None:
                try:
                    shown = await c.click("fab-submit", timeout=30)
                except (TimeoutError, ConnectionError, OSError, WebSocketClosedError):
                    return  # the server died first: no acknowledgement
                found = ID.search(shown)
                assert found, shown
                acked[i] = int(found.group(1))
                if len(acked) >= N // 3 and server.process.poll() is None:
                    os.kill(server.process.pid, signal.SIGKILL)

            await asyncio.gather(*(send(i, c) for i, c in enumerate(clients)))
            for c in clients:
                await c.close()
            return kernels

        kernels = in_thread(burst, timeout=300)
        assert server.process.wait(30) == -signal.SIGKILL
        # the kernels lose their parent and stop by themselves; any left is stopped here
        _, alive = psutil.wait_procs(kernels, timeout=20)
        for k in alive:
            k.kill()
        stored = {s.id: s for s in server.store().submissions(session.code)}
        assert len(acked) >= N // 3
        assert set(acked.values()) <= set(stored), "an acknowledged future was lost"
        for i, sub_id in acked.items():
            assert stored[sub_id].pseudonym == pseudonym(i)
        landed = {s.pseudonym for s in stored.values()}
        print(f"killed with {len(acked)} of {N} acknowledged, {len(stored)} stored")
        assert len(landed) == len(stored)  # none twice, even before any retry

        # the server again, on the same store; every participant reloads and sends again
        server = start_server(tmp_path, N)
        wait_until_ready(server)

        async def retry() -> dict[int, tuple[str, str]]:
            seen = {}
            for i, c in enumerate(clients):  # each rejoined with its future and text
                await c.open(server.url)
                joined = await join_and_prepare(c, session.display_code, i, reloaded=True)
                seen[i] = (joined, await c.click("fab-submit"))
                await c.close()
            return seen

        seen = in_thread(retry, timeout=300)
        final = server.store().submissions(session.code)
        assert sorted(s.pseudonym for s in final) == [pseudonym(i) for i in range(N)]
        by_name = {s.pseudonym: s.id for s in final}
        for i, (joined, sent) in seen.items():
            name, sub_id = pseudonym(i), by_name[pseudonym(i)]
            if name in landed:  # it landed before the crash: the page says so on joining
                assert "1 futur déjà reçu" in joined and f"n° {sub_id}" in joined, joined
                assert f"déjà enregistré (n° {sub_id})" in sent, sent
            else:
                assert "déjà reçu" not in joined, joined
                assert f"Votre futur est enregistré (n° {sub_id})" in sent, sent
            if i in acked:
                assert sub_id == acked[i]
    finally:
        if server.process.poll() is None:
            stop_server(server)
