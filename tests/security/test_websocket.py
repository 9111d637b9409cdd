"""A hostile page on the kernel websocket of a workshop server started here: it may move the
app's widgets and nothing else. No widget class the app does not use, no comm target
beyond the widgets', and never a traceback (with the server's paths) back to the page."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import time
import urllib.error
import urllib.request
import uuid
from types import SimpleNamespace

import pytest
from tornado.websocket import WebSocketClosedError

from workbench.server.handlers import V1, V1OnlyConnection

from ..browser import kernel_ws
from ..browser.conftest import REPO, start_server, stop_server, wait_until_ready
from ..browser.kernel_ws import in_thread

APP = "/voila/render/atelier.ipynb"
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')
# a traceback's marks, and any path of this checkout or of the installed packages
LEAKS = re.compile("|".join([r"Traceback", r"File \"/", r"site-packages", r"\.py\b",
                             r"KeyError", r"TraitError", re.escape(str(REPO))]))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("hostile"), 1, "--max-kernels=12")
    try:
        wait_until_ready(s)
        yield s
    finally:
        stop_server(s)


def kernel_of_a_page(server) -> str:
    """A participant's kernel, as a page gets it (the HTML names its kernel); on the
    waiting page, wait for a seat as the page itself does."""
    deadline = time.monotonic() + 300
    while True:
        with urllib.request.urlopen(server.url + APP, timeout=120) as r:
            found = KERNEL_ID.search(r.read().decode("utf-8", "replace"))
        if found:
            return found.group(1)
        while time.monotonic() < deadline:
            with urllib.request.urlopen(server.url + "/fabrique/salle?attente=1") as r:
                if json.load(r)["pools"]["atelier.ipynb"]["ready"] > 0:
                    break
            time.sleep(0.5)
        else:
            raise AssertionError("no seat within 5 minutes")


@pytest.fixture(scope="module")
def kernel(server) -> str:
    return kernel_of_a_page(server)


def comm_open(target: str, data: dict) -> dict:
    msg = kernel_ws.message("comm_open", {"comm_id": uuid.uuid4().hex,
                                          "target_name": target, "data": data})
    msg["metadata"] = {"version": "2.1.0"}
    return msg


async def exchange(server, kernel_id: str, messages: list[dict], listen: float = 3.0):
    """Send ``messages`` on the kernel's websocket; every message the page gets back."""
    conn = await kernel_ws.connect(server.url, kernel_id)
    try:
        for msg in messages:
            await conn.write_message(kernel_ws.encode(msg), binary=True)
        got = []
        loop = asyncio.get_running_loop()
        end = loop.time() + listen
        while (left := end - loop.time()) > 0:
            try:
                raw = await asyncio.wait_for(conn.read_message(), left)
            except TimeoutError:
                break
            if raw is None:
                break
            if isinstance(raw, bytes):
                got.append(kernel_ws.decode(raw)[1])
        return got
    finally:
        conn.close()


UPLOAD = {"state": {"_model_module": "@jupyter-widgets/controls",
                    "_model_module_version": "2.0.0", "_model_name": "FileUploadModel",
                    "_view_module": "@jupyter-widgets/controls",
                    "_view_module_version": "2.0.0", "_view_name": "FileUploadView"},
          "buffer_paths": []}


def test_the_page_cannot_create_widgets_the_app_does_not_use(server):
    kernel_id = kernel_of_a_page(server)
    opens = [comm_open("jupyter.widget", UPLOAD),
             comm_open("jupyter.widget", {"state": {**UPLOAD["state"],
                                                    "_model_name": "OutputModel"}})]
    got = in_thread(lambda: exchange(server, kernel_id, opens))
    closed = {m["content"]["comm_id"] for m in got if m["header"]["msg_type"] == "comm_close"}
    assert {m["content"]["comm_id"] for m in opens} <= closed  # each refused, closed at once
    assert "a page tried to open a widget the app does not use" in server.log_tail(200)


@pytest.mark.parametrize("bad", [
    comm_open("jupyter.widget", {"state": {"_model_name": "FloatSliderModel"}}),  # no module
    comm_open("jupyter.widget", {"nothing": True}),
    comm_open("jupyter.widget", []),
    comm_open("no.such.target", {}),
    comm_open("jupyter.widget", {"state": {**UPLOAD["state"], "_model_name": "SliderModel",
                                           "_model_module_version": "99"}}),
    kernel_ws.message("comm_msg", {"comm_id": "not-a-comm", "data": {"method": "update"}}),
], ids=["no-module", "no-state", "not-a-dict", "unknown-target", "bad-version", "no-comm"])
def test_a_malformed_message_never_sends_a_traceback_to_the_page(server, kernel, bad):
    got = in_thread(lambda: exchange(server, kernel, [bad]))
    for m in got:
        text = json.dumps(m["content"])
        assert not LEAKS.search(text), text[:500]
        assert m["header"]["msg_type"] not in ("stream", "error"), text[:500]


def test_a_forged_update_of_a_real_widget_sends_no_traceback(server, kernel):
    """A slider set to text: refused by the widget, and the page learns nothing."""
    kernel_id = kernel

    async def forge():
        conn = await kernel_ws.connect(server.url, kernel_id)
        try:
            info = kernel_ws.message("comm_info_request", {"target_name": "jupyter.widget"})
            await conn.write_message(kernel_ws.encode(info), binary=True)
            comms = None
            while comms is None:
                _, msg = kernel_ws.decode(await asyncio.wait_for(conn.read_message(), 30))
                if msg["header"]["msg_type"] == "comm_info_reply":
                    comms = list(msg["content"]["comms"])
            got = []
            for comm_id in comms[:40]:  # whatever these are: sliders, buttons, texts…
                bad = kernel_ws.message("comm_msg", {"comm_id": comm_id, "data": {
                    "method": "update", "state": {"value": "abc", "min": {"x": 1},
                                                  "_model_name": "FileUploadModel"},
                    "buffer_paths": []}})
                await conn.write_message(kernel_ws.encode(bad), binary=True)
            loop = asyncio.get_running_loop()
            end = loop.time() + 4
            while (left := end - loop.time()) > 0:
                try:
                    raw = await asyncio.wait_for(conn.read_message(), left)
                except TimeoutError:
                    break
                if isinstance(raw, bytes):
                    got.append(kernel_ws.decode(raw)[1])
            return comms, got
        finally:
            conn.close()

    comms, got = in_thread(forge)
    assert len(comms) > 20  # the app's widgets were there to be forged
    for m in got:
        text = json.dumps(m["content"])
        assert not LEAKS.search(text), text[:500]
        assert m["header"]["msg_type"] not in ("stream", "error"), text[:500]


PLENIERE = "/voila/render/pleniere.ipynb"


def test_the_plenieres_kernel_answers_only_the_holder_of_the_token(server, monkeypatch):
    """Knowing the facilitator kernel's id is not enough: every connection must carry the
    cookie that only a page opened with the token receives."""
    from tornado.httpclient import HTTPClientError

    from workbench.auth import PROOF_COOKIE, facilitator_token

    monkeypatch.setenv("FABRIQUE_VAR", str(server.var))
    monkeypatch.delenv("FABRIQUE_FACILITATOR_TOKEN", raising=False)
    token = facilitator_token()  # as `make workshop` does before the server starts
    deadline = time.monotonic() + 300
    while True:  # the Plénière's pool holds one kernel: wait for it as its page would
        with urllib.request.urlopen(f"{server.url}{PLENIERE}?jeton={token}",
                                    timeout=120) as r:
            body = r.read().decode("utf-8", "replace")
            cookies = r.headers.get_all("Set-Cookie") or []
        found = KERNEL_ID.search(body)
        if found:
            break
        assert time.monotonic() < deadline, "no Plénière kernel within 5 minutes"
        time.sleep(1)
    kernel_id = found.group(1)
    proof = [c.split(";")[0] for c in cookies if c.startswith(PROOF_COOKIE + "=")]
    assert len(proof) == 1 and token not in proof[0]  # a hash of the token, not the token

    async def connect(cookie: str | None):
        headers = {"Cookie": cookie} if cookie else {}
        try:
            conn = await kernel_ws.connect(server.url, kernel_id, headers=headers)
        except HTTPClientError as err:
            return err.code
        conn.close()
        return 101

    assert in_thread(lambda: connect(None)) == 403
    assert in_thread(lambda: connect(f"{PROOF_COOKIE}={'0' * 64}")) == 403
    assert in_thread(lambda: connect(proof[0])) == 101
    # a participant's kernel needs no such cookie
    participant = kernel_of_a_page(server)

    async def plain():
        conn = await kernel_ws.connect(server.url, participant)
        conn.close()
        return 101

    assert in_thread(plain) == 101
    assert token not in server.log.read_text(errors="replace")  # nor in the server's log
    # a wrong or missing token: the French refusal, no cookie, and no kernel at all
    before = json.load(urllib.request.urlopen(server.url + "/fabrique/salle"))["kernels"]
    for query in ("?jeton=faux", "", f"?jeton={token[:-1]}"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}{PLENIERE}{query}", timeout=120)
        assert refused.value.code == 403
        body = html.unescape(refused.value.read().decode())
        assert "réservée à l'équipe d'animation" in body and "kernelId" not in body
        assert not [c for c in (refused.value.headers.get_all("Set-Cookie") or [])
                    if c.startswith(PROOF_COOKIE)]
    assert json.load(urllib.request.urlopen(server.url + "/fabrique/salle"))["kernels"] <= before


@pytest.mark.parametrize("path", [
    "/voila/files/voila.json", "/voila/files/apps/atelier.ipynb", "/voila/files/var/",
    "/voila/static/..%2f..%2f..%2fvoila.json", "/voila/static/%2e%2e/%2e%2e/etc/passwd",
    "/voila/templates/fabrique/static/..%2f..%2f..%2f..%2fvoila.json",
    "/fabrique/bokeh/..%2f..%2fvoila.json",
    "/api/contents", "/api/contents/voila.json", "/api/kernels", "/api/sessions",
    "/api/terminals", "/api/kernelspecs", "/tree", "/lab", "/voila/api/contents",
    "/voila/api/contents/atelier.ipynb",
    "/voila/render/..%2fvoila.json", "/voila/render/%2e%2e%2fetc%2fpasswd",
])
def test_files_routes_and_apis_stay_closed(server, path):
    """What held in the red-team pass: no file, listing or API beyond the apps."""
    request = urllib.request.Request(server.url + path)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as r:
            status, body = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read().decode("utf-8", "replace")
    assert status in (400, 403, 404, 405), (status, body[:200])
    assert "Internal Server Error" not in body
    for secret in ("root:x:0:0", '"VoilaConfiguration"', '"cells"', "facilitator-token"):
        assert secret not in body


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("path,query", [("/", ""), ("/voila/tree", ""),
                                        ("/", "?atelier=ABCDEF")])
def test_the_bare_address_opens_the_atelier_and_lists_nothing(server, path, query):
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as moved:
        opener.open(server.url + path + query, timeout=30)
    assert moved.value.code in (301, 302)
    assert moved.value.headers["Location"] == f"/voila/render/atelier.ipynb{query}"


MALFORMED = [b"\x01", b"\x05" + b"\x00" * 7, (3).to_bytes(8, "little") + (10**6).to_bytes(8,
             "little") * 3, (3).to_bytes(8, "little") + (32).to_bytes(8, "little")
             + (34).to_bytes(8, "little") + b"\xff\xfe", "not a v1 frame"]


def test_malformed_frames_are_dropped_in_one_log_line_and_the_kernel_still_answers(server):
    """Frames that are not v1 messages (cut short, offsets past the end, a channel that is
    not UTF-8, text) are dropped with one warning, no traceback in the server's log."""
    kernel_id = kernel_of_a_page(server)
    before = server.log.read_text(errors="replace")

    async def go():
        conn = await kernel_ws.connect(server.url, kernel_id)
        try:
            for frame in MALFORMED:
                await conn.write_message(frame, binary=isinstance(frame, bytes))
            info = kernel_ws.message("kernel_info_request", {})
            await conn.write_message(kernel_ws.encode(info), binary=True)
            while True:
                raw = await asyncio.wait_for(conn.read_message(), 30)
                assert raw is not None, "the server closed the websocket"
                if isinstance(raw, bytes):
                    channel, msg = kernel_ws.decode(raw)
                    if (msg["parent_header"].get("msg_id") == info["header"]["msg_id"]
                            and msg["header"]["msg_type"] == "kernel_info_reply"):
                        return channel
        finally:
            conn.close()

    assert in_thread(go) == "shell"  # the reply came, on the same socket
    time.sleep(1)
    logged = server.log.read_text(errors="replace")[len(before):]
    assert "Traceback" not in logged and "struct.error" not in logged, logged[-3000:]
    assert logged.count("malformed kernel websocket frame") == len(MALFORMED), logged[-3000:]
    assert kernel_id not in logged
    assert not re.search(r"‹noyau›:[0-9a-f]", server.log.read_text(errors="replace"))


def test_frames_racing_a_closing_socket_leave_no_traceback(server):
    """A page that sends requests and malformed frames and closes at once, many times: the
    kernel's replies and the late frames meet a closing socket (where the subprotocol is
    already gone), and the server logs no traceback."""
    kernel_id = kernel_of_a_page(server)
    before = server.log.read_text(errors="replace")

    async def go():
        for i in range(30):
            conn = await kernel_ws.connect(server.url, kernel_id)
            for _ in range(5):
                info = kernel_ws.message("kernel_info_request", {})
                await conn.write_message(kernel_ws.encode(info), binary=True)
                await conn.write_message(MALFORMED[i % len(MALFORMED)],
                                         binary=isinstance(MALFORMED[i % len(MALFORMED)],
                                                           bytes))
            conn.close()
            if i % 3 == 0:  # and sometimes a frame after the close frame
                try:
                    await conn.write_message(kernel_ws.encode(info), binary=True)
                except Exception:
                    pass
            await asyncio.sleep(0.01 * (i % 4))
        # the kernel still answers on a new socket
        conn = await kernel_ws.connect(server.url, kernel_id)
        try:
            info = kernel_ws.message("kernel_info_request", {})
            await conn.write_message(kernel_ws.encode(info), binary=True)
            while True:
                raw = await asyncio.wait_for(conn.read_message(), 30)
                assert raw is not None, "the server closed the websocket"
                if isinstance(raw, bytes):
                    _, msg = kernel_ws.decode(raw)
                    if (msg["parent_header"].get("msg_id") == info["header"]["msg_id"]
                            and msg["header"]["msg_type"] == "kernel_info_reply"):
                        return msg["header"]["msg_type"]
        finally:
            conn.close()

    assert in_thread(go, timeout=120) == "kernel_info_reply"
    time.sleep(2)
    logged = server.log.read_text(errors="replace")[len(before):]
    assert "Traceback" not in logged and "struct.error" not in logged, logged[-4000:]


class _ClosingHandler:
    """A tornado websocket handler after the page closed: no subprotocol any more, and
    writing raises (or fails later, when the close came during the write)."""

    def __init__(self, fail_later: bool = False):
        self.fail_later = fail_later

    @property
    def selected_subprotocol(self):
        raise AssertionError  # tornado: assert self.ws_connection is not None

    def write_message(self, message, binary=False):
        if not self.fail_later:
            raise WebSocketClosedError()
        sent = asyncio.get_event_loop().create_future()
        sent.set_exception(WebSocketClosedError())
        return sent


def test_a_closing_socket_keeps_the_v1_protocol_and_drops_late_replies_quietly(caplog):
    """jupyter_server switched to the legacy protocol on a closing socket (where it read
    ``struct.error`` from a v1 frame); the connection now stays v1 to the end, and a reply
    written after the page left is dropped without an exception."""
    closing = SimpleNamespace(websocket_handler=_ClosingHandler(),
                              log=logging.getLogger("test.closing"))
    assert V1OnlyConnection.subprotocol.fget(closing) == V1
    assert V1OnlyConnection.write_message.fget(closing)(b"late", binary=True) is None

    async def later():
        conn = SimpleNamespace(websocket_handler=_ClosingHandler(fail_later=True),
                               log=closing.log)
        sent = V1OnlyConnection.write_message.fget(conn)(b"late", binary=True)
        await asyncio.sleep(0)
        return sent

    sent = in_thread(later)  # not asyncio.run: Playwright may own this thread's loop
    assert sent.done() and sent.exception() is not None  # failed, and was read: no log
