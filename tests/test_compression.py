"""Static files are gzipped once and replayed; everything else is as tornado does it."""

import asyncio
import gzip
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from tornado import web

from workbench.server.compression import CachedGzip

from .conftest import free_port

BODY = ("/* a widget bundle */\n" + "var x = 1;\n" * 30_000).encode()  # ~330 kB, many chunks


class Page(web.RequestHandler):
    def get(self):
        self.write("<p>" + "é" * 2000 + "</p>")


@pytest.fixture
def static_dir(tmp_path):
    (tmp_path / "app.js").write_bytes(BODY)
    return tmp_path


@dataclass
class Response:
    code: int
    headers: dict
    body: bytes


class Server:
    """A tornado server with the transform, on a loop of its own in a thread (the suite's
    other tests may own the main thread's loop)."""

    def __init__(self, root):
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            app = web.Application([(r"/page", Page),
                                   (r"/voila/static/(.*)", web.StaticFileHandler,
                                    {"path": str(root)})], transforms=[CachedGzip])
            self.server = app.listen(self.port, address="127.0.0.1")
            self.loop.call_soon(started.set)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)

    def fetch(self, path, headers=None, **_):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as err:  # 304 and other non-2xx
            return Response(err.code, dict(err.headers), err.read())

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def server(static_dir):
    CachedGzip._cache.clear()  # noqa: SLF001
    CachedGzip._size = 0  # noqa: SLF001
    s = Server(static_dir)
    yield s
    s.stop()


def get(server, path, **headers):
    return server.fetch(path, headers={"Accept-Encoding": "gzip", **headers})


def test_a_static_file_is_compressed_once_then_replayed_byte_for_byte(server):
    before = CachedGzip.compressed, CachedGzip.replayed
    first, second = get(server, "/voila/static/app.js"), get(server, "/voila/static/app.js")
    for r in (first, second):
        assert r.code == 200 and r.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in r.headers["Vary"]
        assert gzip.decompress(r.body) == BODY
    assert int(second.headers["Content-Length"]) == len(second.body) < len(BODY) / 10
    assert second.body == first.body
    assert (CachedGzip.compressed - before[0], CachedGzip.replayed - before[1]) == (1, 1)


def test_a_changed_file_is_never_served_stale(server, static_dir):
    get(server, "/voila/static/app.js")
    new = BODY.replace(b"var x = 1", b"var y = 2")
    (static_dir / "app.js").write_bytes(new)
    os.utime(static_dir / "app.js", (2_000_000_000, 2_000_000_000))
    web.StaticFileHandler.reset()  # tornado's own cache of file hashes
    assert gzip.decompress(get(server, "/voila/static/app.js").body) == new


def test_ranges_304s_plain_clients_and_pages_are_left_to_tornado(server):
    full = get(server, "/voila/static/app.js")
    part = get(server, "/voila/static/app.js", Range="bytes=0-9")
    gz = part.headers.get("Content-Encoding") == "gzip"  # tornado gzips a range, as before
    assert part.code == 206 and (gzip.decompress(part.body) if gz else part.body) == BODY[:10]
    again = server.fetch("/voila/static/app.js", headers={
        "Accept-Encoding": "gzip", "If-None-Match": full.headers["Etag"]})
    assert again.code == 304
    plain = server.fetch("/voila/static/app.js")
    assert plain.body == BODY and "Content-Encoding" not in plain.headers
    replayed = CachedGzip.replayed
    page = get(server, "/page")
    page2 = get(server, "/page")
    assert gzip.decompress(page.body).decode() == gzip.decompress(page2.body).decode()
    assert CachedGzip.replayed == replayed  # dynamic responses are not kept
