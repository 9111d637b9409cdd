"""Static files are gzipped once and replayed; everything else is as tornado does it."""

import gzip
import os

import pytest
from tornado import web
from tornado.testing import AsyncHTTPTestCase

from workbench.server.compression import CachedGzip

BODY = ("/* a widget bundle */\n" + "var x = 1;\n" * 30_000).encode()  # ~330 kB, many chunks


class Page(web.RequestHandler):
    def get(self):
        self.write("<p>" + "é" * 2000 + "</p>")


@pytest.fixture
def static_dir(tmp_path):
    (tmp_path / "app.js").write_bytes(BODY)
    return tmp_path


class Server(AsyncHTTPTestCase):
    root = None

    def get_app(self):
        return web.Application([(r"/page", Page),
                                (r"/voila/static/(.*)", web.StaticFileHandler,
                                 {"path": str(self.root)})],
                               transforms=[CachedGzip])

    def runTest(self):  # noqa: N802 (unittest's name)
        pass


@pytest.fixture
def server(static_dir):
    Server.root = static_dir
    s = Server()
    s.setUp()
    CachedGzip._cache.clear()  # noqa: SLF001
    CachedGzip._size = 0  # noqa: SLF001
    yield s
    s.tearDown()


def get(server, path, **headers):
    return server.fetch(path, headers={"Accept-Encoding": "gzip", **headers},
                        decompress_response=False)


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
    plain = server.fetch("/voila/static/app.js", decompress_response=False)
    assert plain.body == BODY and "Content-Encoding" not in plain.headers
    replayed = CachedGzip.replayed
    page = get(server, "/page")
    page2 = get(server, "/page")
    assert gzip.decompress(page.body).decode() == gzip.decompress(page2.body).decode()
    assert CachedGzip.replayed == replayed  # dynamic responses are not kept
