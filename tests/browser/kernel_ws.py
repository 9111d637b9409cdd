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


def in_thread(coro_fn):
    """Run an asyncio coroutine in a thread of its own (Playwright's sync API owns a loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_fn())).result(timeout=60)
