"""A minimal client of a kernel's websocket in the v1 protocol (what the browser speaks), for
tests that talk to the server as a hostile or scripted browser would."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

V1 = "v1.kernel.websocket.jupyter.org"


def message(msg_type: str, content: dict) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "t",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content}


def encode(msg: dict, channel: str = "shell") -> bytes:
    return serialize_msg_to_ws_v1(msg, channel, lambda part: json.dumps(part).encode())


def decode(frame: bytes) -> tuple[str, dict]:
    channel, parts = deserialize_msg_from_ws_v1(frame)
    header, parent, metadata, content = (json.loads(p) for p in parts[:4])
    return channel, {"header": header, "parent_header": parent, "metadata": metadata,
                     "content": content}


async def connect(base_url: str, kernel_id: str, subprotocols=(V1,), headers=None):
    url = base_url.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
    return await websocket_connect(HTTPRequest(url, headers=headers or {}),
                                   subprotocols=list(subprotocols) or None)


def in_thread(coro_fn, timeout: float = 60):
    """Run an asyncio coroutine in a thread of its own (Playwright's sync API owns a loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_fn())).result(timeout=timeout)


class AtelierClient:
    """One participant's atelier page reduced to its kernel messages, for tests that need
    many scripted participants at once (a browser each would not fit on 2 cores).

    It keeps the cookies the server sets, as a browser does: opening the page again with
    the same client is a reload on the same device."""

    PAGE = "/voila/render/atelier.ipynb"

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.conn = None
        self.states: dict[str, dict] = {}  # comm id -> {"model_name", "state"}

    async def open(self, base_url: str | None = None, timeout: float = 120) -> None:
        """GET the page (a new kernel), connect to its kernel and read every widget's state."""
        import re

        from tornado.httpclient import AsyncHTTPClient

        self.base_url = base_url or self.base_url
        response = await AsyncHTTPClient().fetch(self.base_url + self.PAGE,
                                                 headers=self._cookie_header(),
                                                 request_timeout=timeout)
        for line in response.headers.get_list("Set-Cookie"):
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        found = re.search(rb'"kernelId":\s*"([0-9a-f-]{36})"', response.body)
        assert found, "the page holds no kernel id"
        self.conn = await connect(self.base_url, found.group(1).decode(),
                                  headers=self._cookie_header())
        self.inbox: asyncio.Queue = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())
        control = uuid.uuid4().hex
        opening = message("comm_open", {"comm_id": control, "data": {},
                                        "target_name": "jupyter.widget.control"})
        opening["metadata"] = {"version": "1.0.0"}  # what ipywidgets 8's manager sends
        await self.request(opening, timeout=timeout)
        got = await self.request(message("comm_msg", {"comm_id": control, "data": {
            "method": "request_states"}}), timeout=timeout)
        (states,) = [d["states"] for cid, d in got if d.get("method") == "update_states"]
        self.states = states

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def _read(self) -> None:
        while True:
            frame = await self.conn.read_message()
            self.inbox.put_nowait(frame)
            if frame is None:
                return

    async def request(self, msg: dict, timeout: float = 60) -> list[tuple[str, dict]]:
        """Send one shell message; return the (comm id, data) of every comm message the
        kernel sent until it was idle again. A lost connection raises ConnectionError."""
        await self.conn.write_message(encode(msg), binary=True)
        parent, seen = msg["header"]["msg_id"], []
        while True:
            frame = await asyncio.wait_for(self.inbox.get(), timeout)
            if frame is None:
                raise ConnectionError("the kernel's websocket closed")
            _, m = decode(frame)
            kind, content = m["header"]["msg_type"], m["content"]
            if kind == "comm_msg":
                cid, data = content.get("comm_id"), content.get("data", {})
                seen.append((cid, data))
                if data.get("method") == "update" and cid in self.states:
                    self.states[cid]["state"].update(data.get("state", {}))
            if (kind == "status" and content.get("execution_state") == "idle"
                    and m["parent_header"].get("msg_id") == parent):
                return seen

    def widget(self, css: str) -> str:
        """The comm id of the one widget with this CSS class."""
        ids = [k for k, s in self.states.items() if css in s["state"].get("_dom_classes", [])]
        assert len(ids) == 1, f"{len(ids)} widgets with class {css}"
        return ids[0]

    def state(self, css: str) -> dict:
        """The current state of the one widget with this CSS class."""
        return self.states[self.widget(css)]["state"]

    def sliders(self) -> dict[str, dict]:
        """Lever id -> its slider's state (value, min, max, step) and comm id."""
        out = {}
        for cid, s in self.states.items():
            for c in s["state"].get("_dom_classes", []):
                if s["model_name"] == "FloatSliderModel" and c.startswith("fab-slider-"):
                    out[c.removeprefix("fab-slider-")] = {**s["state"], "comm_id": cid}
        return out

    async def set(self, comm_id: str, value) -> None:
        await self.request(message("comm_msg", {"comm_id": comm_id, "data": {
            "method": "update", "state": {"value": value}, "buffer_paths": []}}))

    async def click(self, css: str, timeout: float = 60) -> str:
        """Click a button; return the text of every HTML widget it updated, joined."""
        seen = await self.request(message("comm_msg", {"comm_id": self.widget(css), "data": {
            "method": "custom", "content": {"event": "click"}}}), timeout)
        return " ".join(str(d.get("state", {}).get("value", "")) for _, d in seen
                        if d.get("method") == "update")

    async def leave(self) -> None:
        """Leave the page as a browser does: the beacon that shuts the kernel down (a form
        with the ``_xsrf`` cookie's value), then the websocket closes."""
        from tornado.httpclient import AsyncHTTPClient

        kernel = self.conn.request.url.split("/kernels/")[1].split("/")[0]
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="_xsrf"\r\n\r\n'
                f"{self.cookies.get('_xsrf', '')}\r\n--{boundary}--\r\n")
        await AsyncHTTPClient().fetch(
            f"{self.base_url}/voila/api/shutdown/{kernel}", method="POST", body=body,
            headers={**self._cookie_header(),
                     "Content-Type": f"multipart/form-data; boundary={boundary}"})
        await self.close()

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self._reader.cancel()
            self.conn = None
