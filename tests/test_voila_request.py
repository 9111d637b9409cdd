"""The pre-started kernel's wait for its visitor's request, without voila.utils."""

import asyncio
import json
import os
import subprocess
import sys
import threading

import pytest
import tornado.web
import tornado.websocket

from workbench.app import voila_request as vr


class _Query(tornado.websocket.WebSocketHandler):
    def open(self, kernel_id):
        self.write_message(json.dumps(self.application.settings["payload"][kernel_id]))


@pytest.fixture
def query_server():
    """A real websocket server on loopback that answers like Voilà's /voila/query/<id>."""
    payload: dict = {}
    started = threading.Event()
    box: dict = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application([(r"/voila/query/(.+)", _Query)], payload=payload)
        server = app.listen(0, "127.0.0.1")
        box.update(loop=loop, server=server,
                   port=next(iter(server._sockets.values())).getsockname()[1])
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    yield box["port"], payload
    box["loop"].call_soon_threadsafe(box["loop"].stop)
    thread.join(10)


def test_a_prestarted_kernel_receives_its_visitors_request(query_server, monkeypatch):
    port, payload = query_server
    payload["k-1"] = {"QUERY_STRING": "atelier=ABCD&futur=x", "SERVER_NAME": "10.0.0.5",
                      "SERVER_PORT": "8866", "SCRIPT_NAME": "/voila/render/atelier.ipynb",
                      "HTTP_X_FORWARDED_PROTO": "https",
                      "PYTHONPATH": "/tmp/evil", "LD_PRELOAD": "x.so", "SERVER_SOFTWARE": 7}
    for key, value in {"VOILA_PREHEAT": "True", "VOILA_KERNEL_ID": "k-1",
                       "VOILA_APP_IP": "127.0.0.1", "VOILA_APP_PORT": str(port),
                       "VOILA_SERVER_URL": "/"}.items():
        monkeypatch.setenv(key, value)
    for key in ("QUERY_STRING", "SERVER_NAME", "PYTHONPATH", "LD_PRELOAD", "SERVER_SOFTWARE",
                "HTTP_X_FORWARDED_PROTO"):
        monkeypatch.delenv(key, raising=False)
    assert vr.wait_for_request() is True
    assert os.environ["QUERY_STRING"] == "atelier=ABCD&futur=x"
    assert os.environ["SERVER_NAME"] == "10.0.0.5"
    assert os.environ["HTTP_X_FORWARDED_PROTO"] == "https"
    # only the request's variables, as text: nothing that would change how Python runs
    assert "PYTHONPATH" not in os.environ and "LD_PRELOAD" not in os.environ
    assert "SERVER_SOFTWARE" not in os.environ


def test_outside_a_prestarted_kernel_nothing_is_awaited(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    assert vr.wait_for_request() is False


def test_an_unreachable_server_does_not_hang_the_kernel(monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-2")
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    assert vr.wait_for_request() is False


def test_the_participants_kernel_does_not_load_voila_or_jupyter_server():
    """voila.utils brought jupyter_server, nbconvert… into every kernel (46 MB each)."""
    code = ("import sys; from workbench.app.atelier import atelier; app = atelier(); "
            "app.apply_request(); "
            "print(sorted(m for m in ('voila', 'jupyter_server', 'nbconvert', "
            "'jupyterlab_server', 'requests', 'bs4') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ,
                                          "FABRIQUE_BOKEH_JS": "page"}).stdout
    assert out.strip().splitlines()[-1] == "[]"
