"""A pre-started kernel waits here for its visitor's request (query string, host, path).

Voilà's own ``voila.utils.wait_for_request`` does the same, but importing ``voila.utils``
loads jupyter_server, nbconvert, jupyterlab_server, jsonschema, requests and bs4 into every
participant's kernel: 46 MB of unique memory per kernel (measured with psutil's USS on
2026-12-01), a quarter of the kernel, for one websocket read. This module speaks the same
protocol (``<ws>/voila/query/<kernel id>``, one JSON message of environment variables) with
tornado, which ipykernel has already loaded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading

log = logging.getLogger(__name__)

#: the environment variables Voilà sets in a pre-started kernel (voila.utils.ENV_VARIABLE)
PREHEAT, KERNEL_ID = "VOILA_PREHEAT", "VOILA_KERNEL_ID"

#: what the server may hand the kernel: the request's CGI-like variables (and the headers
#: configured in ``http_header_envs``, as ``HTTP_…``), nothing else
ALLOWED = frozenset({
    "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
    "SERVER_SOFTWARE", "SERVER_PROTOCOL",
})

OPEN_TIMEOUT = 10.0  # seconds to reach the server's query socket (it is on this machine)


def query_url(env=os.environ) -> str:
    """``ws://127.0.0.1:8866/voila/query/<kernel id>`` from what Voilà put in the kernel's
    environment."""
    protocol = env.get("VOILA_WS_PROTOCOL", "ws")
    ip = env.get("VOILA_APP_IP", "127.0.0.1")
    port = env.get("VOILA_APP_PORT", "8866")
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{ip}:{port}{base}voila/query/{env.get(KERNEL_ID, '')}"


async def _receive(url: str) -> str | None:
    from tornado.websocket import websocket_connect

    conn = await asyncio.wait_for(websocket_connect(url), OPEN_TIMEOUT)
    try:
        return await conn.read_message()
    finally:
        conn.close()


def apply_info(message: str | None, env=os.environ) -> bool:
    """Put the request's variables in the environment (only the expected ones, as text)."""
    if not message:
        return False
    info = json.loads(message)
    if not isinstance(info, dict):
        return False
    for key, value in info.items():
        if (key in ALLOWED or key.startswith("HTTP_")) and isinstance(value, str):
            env[key] = value
    return True


def wait_for_request() -> bool:
    """Block until the visitor's request reaches this pre-started kernel, then set its
    variables in ``os.environ``. False (and nothing set) outside a pre-started kernel or
    when the server cannot be reached."""
    if os.environ.get(PREHEAT, "False") == "False":
        return False
    received: list[str | None] = []

    def run() -> None:  # a thread of its own: the kernel's event loop is busy running us
        try:
            received.append(asyncio.run(_receive(query_url())))
        except Exception as exc:  # the page then works without its query string
            log.warning("the request never reached this kernel: %s", type(exc).__name__)

    thread = threading.Thread(target=run, name="fabrique-wait-for-request", daemon=True)
    thread.start()
    thread.join()
    return apply_info(received[0] if received else None)
