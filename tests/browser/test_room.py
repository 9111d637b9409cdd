"""The room at scale, in a real browser against the real server: pages that are left free
their kernel, reloads never pile kernels up, arrivals beyond the pool get the French waiting
page, the cap gives « salle complète », and the server's hardening holds."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from . import kernel_ws
from .conftest import start_server, stop_server, wait_for_atelier, wait_until_ready
from .kernel_ws import in_thread

APP = "/voila/render/atelier.ipynb"


def status(server) -> dict:
    with urllib.request.urlopen(f"{server.url}/fabrique/salle", timeout=10) as r:
        return json.load(r)


def kernel_id_of(page) -> str:
    return json.loads(page.locator("#jupyter-config-data").inner_text())["kernelId"]


def open_atelier(page, server) -> str:
    """Open the atelier (through the waiting page if need be) and return its kernel id."""
    page.goto(server.url + APP, wait_until="domcontentloaded")
    wait_for_atelier(page, server, 120_000)
    return kernel_id_of(page)


def wait_for(predicate, timeout_ms: int, page) -> None:
    for _ in range(timeout_ms // 250):
        if predicate():
            return
        page.wait_for_timeout(250)
    assert predicate()


@pytest.fixture(scope="module")
def small_room(tmp_path_factory):
    """A room of 1 participant (3 pre-started kernels) capped at 5 live kernels."""
    server = start_server(tmp_path_factory.mktemp("room"), 1, "--max-kernels=5")
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_server(server)


def test_the_room_says_when_it_is_ready_and_counts_seats_only(small_room):
    s = status(small_room)
    assert s["ready"] and s["postes"] == 3 and s["postes_prets"] == 3
    assert s["message_fr"] == "Salle prête : 3 postes sur 3"
    assert s["max_kernels"] == 5
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", json.dumps(s))  # never a kernel id



def test_the_kernels_read_the_engine_the_server_built_and_never_load_pandas(small_room):
    """The server writes the built engine before the room's kernels start
    (workbench/prebuilt.py); a participant's kernel that has served a page and a lever move
    has no pandas library mapped in its memory (44 MB of each kernel otherwise)."""
    import psutil

    assert len(list((small_room.var / "cache").glob("engine-*.pickle"))) == 1

    def libraries() -> list[set[str]]:
        """The shared libraries of each kernel that has loaded numpy (a refill may still be
        starting: the check sees numpy, so it would see pandas)."""
        kernels = [p for p in psutil.Process(small_room.process.pid).children(recursive=True)
                   if "ipykernel" in " ".join(p.cmdline())]
        maps = [{m.path for m in k.memory_maps()} for k in kernels]
        return [libs for libs in maps if any("/numpy/" in f for f in libs)]

    async def visit() -> list[set[str]]:
        client = kernel_ws.AtelierClient(small_room.url)
        await client.open()
        fertility = client.sliders()["fertility"]
        await client.set(fertility["comm_id"], fertility["max"])
        try:
            return libraries()
        finally:
            await client.leave()  # the next tests count the kernels in use

    started = in_thread(visit)
    assert len(started) >= 3
    assert not [libs for libs in started if any("/pandas/" in f for f in libs)]
    for _ in range(40):
        if status(small_room)["in_use"] == 0:
            break
        time.sleep(0.25)
    assert status(small_room)["in_use"] == 0


def test_a_page_left_or_reloaded_frees_its_kernel(small_room, context):
    """Ten reloads of one tab never hold more than one kernel; leaving frees it."""
    page = context.new_page()
    seen = {open_atelier(page, small_room)}
    for _ in range(9):
        page.reload(wait_until="domcontentloaded")
        wait_for_atelier(page, small_room, 120_000)
        seen.add(kernel_id_of(page))
        wait_for(lambda: status(small_room)["in_use"] <= 1, 10_000, page)
    assert len(seen) == 10  # each load had a fresh kernel…
    page.goto("about:blank")
    wait_for(lambda: status(small_room)["in_use"] == 0, 10_000, page)  # …and none is left
    page.close()


def test_thirty_loads_and_leaves_leave_no_kernel_behind(small_room, context):
    page = context.new_page()
    for _ in range(30):
        open_atelier(page, small_room)
        page.goto("about:blank")
    wait_for(lambda: status(small_room)["in_use"] == 0, 15_000, page)
    s = status(small_room)
    assert s["kernels"] <= s["max_kernels"]
    page.close()


@pytest.fixture
def quiet_room(tmp_path_factory):
    """3 seats, a cap well above them, and refills that wait for an hour of quiet: nothing
    refills the pool unless someone is on the waiting page."""
    server = start_server(tmp_path_factory.mktemp("quiet"), 1, "--max-kernels=8",
                          "--FabriqueServer.refill_quiet=3600")
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_server(server)


def test_arrivals_beyond_the_pool_wait_on_a_french_page_then_get_in(quiet_room, context):
    """The three seats taken, the fourth visitor meets the waiting page, which opens the
    atelier by itself once the refill it asked for is ready."""
    pages = []
    try:
        for _ in range(3):
            pages.append(context.new_page())
            open_atelier(pages[-1], quiet_room)
        assert status(quiet_room)["postes_prets"] == 0
        page = context.new_page()
        pages.append(page)
        page.goto(quiet_room.url + APP, wait_until="domcontentloaded")
        page.wait_for_selector(".fab-waiting", timeout=30_000)
        text = page.inner_text("body")
        assert "Votre poste se prépare" in text and "Loading" not in text
        wait_for_atelier(page, quiet_room, 120_000)
    finally:
        for p in pages:
            p.close()


def test_beyond_the_cap_the_room_is_full(small_room, context):
    pages = []
    try:
        for _ in range(8):  # take every seat the cap allows
            s = status(small_room)
            seats = s["pools"]["atelier.ipynb"]
            if (s["kernels"] >= s["max_kernels"] and seats["ready"] == 0
                    and seats["starting"] == 0):  # no seat free and none on its way
                break
            page = context.new_page()
            pages.append(page)
            open_atelier(page, small_room)
        else:
            pytest.fail(f"the cap was never reached: {status(small_room)}")
        with pytest.raises(urllib.error.HTTPError) as full:
            urllib.request.urlopen(small_room.url + APP, timeout=30)
        assert full.value.code == 503
        assert "La salle est complète" in full.value.read().decode()
    finally:
        for p in pages:
            p.close()


def test_kernel_websockets_speak_v1_only(voila_server, context):
    page = context.new_page()
    kernel_id = open_atelier(page, voila_server)

    async def legacy():
        try:
            conn = await kernel_ws.connect(voila_server.url, kernel_id, subprotocols=())
        except HTTPClientError as err:
            return err.code
        conn.close()
        return 101

    assert in_thread(legacy) == 400  # refused before the endless-loop frame can be sent

    async def v1():
        conn = await kernel_ws.connect(voila_server.url, kernel_id)
        info = kernel_ws.message("kernel_info_request", {})
        await conn.write_message(kernel_ws.encode(info), binary=True)
        while True:
            _, reply = kernel_ws.decode(await asyncio.wait_for(conn.read_message(), 20))
            if reply["parent_header"].get("msg_id") == info["header"]["msg_id"] and \
                    reply["header"]["msg_type"] == "kernel_info_reply":
                conn.close()
                return True

    assert in_thread(v1)
    assert kernel_id not in voila_server.log.read_text(errors="replace")  # ids stay secret
    page.close()


def test_the_query_route_is_for_kernels_only(voila_server, context):
    page = context.new_page()
    kernel_id = open_atelier(page, voila_server)
    url = voila_server.url.replace("http", "ws", 1) + f"/voila/query/{kernel_id}"

    async def through_a_proxy():
        try:
            conn = await websocket_connect(HTTPRequest(
                url, headers={"X-Forwarded-For": "192.168.1.50"}))
        except HTTPClientError as err:
            return err.code
        conn.close()
        return 101

    assert in_thread(through_a_proxy) == 403
    page.close()


def test_static_bokehjs_is_long_cached_and_pages_are_compressed(voila_server):
    from workbench.server.handlers import bokeh_js, bokeh_js_url

    request = urllib.request.Request(voila_server.url + bokeh_js_url("/"),
                                     headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert "max-age=31536000" in r.headers["Cache-Control"]
        assert r.headers.get("Content-Encoding") == "gzip"
        body = r.read()
    assert len(body) < len(bokeh_js()[1]) / 2
    version, _, digest = bokeh_js()
    with pytest.raises(urllib.error.HTTPError) as stale:
        urllib.request.urlopen(f"{voila_server.url}/fabrique/bokeh/0.0.1-{digest}/"
                               "bokeh.min.js", timeout=30)
    assert stale.value.code == 404
