"""Static files compressed once, not once per visitor.

Tornado's ``compress_response`` gzips every response as it is written. A first visit loads
about a hundred static files (Voilà's and the widget extensions' JavaScript, BokehJS), and
gzipping them took about 1 s of the server's single thread per page view: profiled with
py-spy during a burst of 50 arrivals (2026-12-01), static files and their compression were
most of the server's busy time, ahead of the pages themselves. A room of 50 first visits was
a minute of the server's time spent compressing the same files again and again.

:class:`CachedGzip` replaces tornado's transform: responses are still gzipped as they are
written, but a static file's compressed bytes (a 200 response to a GET under ``/static/``
or ``/fabrique/bokeh/``, whose ``Etag`` is a hash of the file) are kept in memory and
replayed to the next visitor. The Etag changes whenever the file does, so a stale copy is
never served; ranges, 304s and HEAD requests are left to tornado.
"""

from __future__ import annotations

from collections import OrderedDict

from tornado import httputil
from tornado.web import GZipContentEncoding

STATIC_PARTS = ("/static/", "/fabrique/bokeh/")
MAX_BYTES = 64 * 2**20  # the compressed statics of the apps are about 4 MB


class CachedGzip(GZipContentEncoding):
    """Tornado's gzip transform, with the compressed bytes of static files kept."""

    _cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
    _size = 0
    compressed = 0  # files compressed (a cache miss), for the tests and the log
    replayed = 0  # responses served from the cache

    def __init__(self, request: httputil.HTTPServerRequest) -> None:
        super().__init__(request)
        self._static = request.method == "GET" and any(p in request.path
                                                          for p in STATIC_PARTS)
        self._path = request.path
        self._key: tuple[str, str] | None = None
        self._parts: list[bytes] | None = None
        self._replay = False

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        etag = headers.get("Etag")
        if self._gzipping and self._static and status_code == 200 and etag:
            self._key = (self._path, etag)
            done = self._cache.get(self._key)
            if done is not None:
                self._cache.move_to_end(self._key)
                type(self).replayed += 1
                self._replay = True
                headers["Vary"] = (headers["Vary"] + ", Accept-Encoding" if "Vary" in headers
                                   else "Accept-Encoding")
                headers["Content-Encoding"] = "gzip"
                headers["Content-Length"] = str(len(done))
                return status_code, headers, done
            self._parts = []
        return super().transform_first_chunk(status_code, headers, chunk, finishing)

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        if self._replay:
            return b""  # the whole compressed file went with the first chunk
        out = super().transform_chunk(chunk, finishing) if self._gzipping else chunk
        if self._parts is not None and self._gzipping:
            self._parts.append(out)
            if finishing:
                self._keep(b"".join(self._parts))
                self._parts = None
        return out

    def _keep(self, data: bytes) -> None:
        cls = type(self)
        cls.compressed += 1
        if len(data) > MAX_BYTES // 4:
            return
        cls._cache[self._key] = data
        cls._size += len(data)
        while cls._size > MAX_BYTES:
            _, old = cls._cache.popitem(last=False)
            cls._size -= len(old)
