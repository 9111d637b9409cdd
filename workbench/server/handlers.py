"""The HTTP and websocket handlers the workshop server adds to, or puts in front of,
Voilà's: the room's readiness, the waiting and « salle complète » pages, BokehJS as one
long-cached static file, and the hardening of two Voilà routes."""

from __future__ import annotations

import hashlib
import html
import ipaddress
import json
import os
from functools import cache
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from tornado import web
from tornado.websocket import WebSocketClosedError
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler

from ..auth import (
    FACILITATOR_NOTEBOOKS,
    PROOF_COOKIE,
    REFUSED_FR,
    TOKEN_PARAM,
    facilitator_proof,
    facilitator_token,
    token_ok,
)
from ..identity import DEVICE_COOKIE, DEVICE_DAYS, DEVICE_HEADER, new_device, valid_device

PAGES = Path(__file__).with_name("pages")
V1 = "v1.kernel.websocket.jupyter.org"


class PlainErrors:
    """Errors as a short French page: jupyter_server's error templates are not in Voilà's
    template path, so its own error page failed into a bare 500."""

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        text = {403: "Accès refusé.", 404: "Page introuvable."}.get(
            status_code, "La demande n'a pas abouti.")
        self.finish(f'<!DOCTYPE html><html lang="fr"><meta charset="utf-8"><title>{text}'
                    f"</title><p>{text}</p></html>")


class RoomStatusHandler(JupyterHandler):
    """``GET /fabrique/salle``: the room's readiness as JSON (counts only, no kernel id).
    ``?attente=1`` says that someone is on the waiting page, so refills start at once."""

    async def get(self):
        km = self.kernel_manager
        if self.get_argument("attente", ""):
            km.note_waiter()
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(km.room_status(), ensure_ascii=False))


@cache
def _page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


class RoomVoilaHandler(PlainErrors, TornadoVoilaHandler):
    """``/voila/render/<notebook>``: Voilà's page, or, when no pre-started kernel is free,
    a French waiting page that reloads itself as soon as one is; beyond the cap on live
    kernels, « salle complète ». It also sets the ``_xsrf`` cookie, without which the
    browser's leave-page beacon (``POST /voila/api/shutdown/<id>``) is refused and every
    page view leaks its kernel."""

    async def get(self, path=None):
        self.xsrf_token  # noqa: B018  (sets the cookie)
        self._hand_device_to_kernel()
        km = self.kernel_manager
        notebook = (self.notebook_path or path or "").lstrip("/")
        if ".." in notebook.replace("\\", "/").split("/") or not notebook.endswith(".ipynb"):
            raise web.HTTPError(404)  # the apps are notebooks in the apps' folder
        if notebook in FACILITATOR_NOTEBOOKS and not self._prove_facilitator():
            # no kernel for a visitor without the token: nothing to reach, nothing to hold
            return self._send("reserve.html", 403)
        if km.is_pooled(notebook) and km.get_pool_size(notebook) == 0:
            if km.room_full(notebook):
                return self._send("salle-complete.html", 503)
            km.note_waiter()
            return self._send("attente.html", 200, notebook)
        if not km.is_pooled(notebook) and km.at_cap():
            return self._send("salle-complete.html", 503)
        return await super().get(path)

    def _prove_facilitator(self) -> bool:
        """The page asked with the right token: a cookie (a hash of the token) lets its
        websocket reach the Plénière's kernel. Without it, knowing the kernel's id is not
        enough (V1OnlyConnection checks it on every connection)."""
        given = self.get_argument(TOKEN_PARAM, "")
        if not (given and token_ok(given, facilitator_token(create=False))):
            return False
        self.set_cookie(PROOF_COOKIE, facilitator_proof(given), path=self.base_url or "/",
                        httponly=True, samesite="Strict")
        return True

    def _hand_device_to_kernel(self) -> None:
        """The browser's device id (see workbench.identity): from its cookie, or a new one
        set now; passed to the kernel as a request header that only the server writes."""
        device = self.get_cookie(DEVICE_COOKIE, "")
        if not valid_device(device):
            device = new_device()
            self.set_cookie(DEVICE_COOKIE, device, path=self.base_url or "/",
                            expires_days=DEVICE_DAYS, httponly=True, samesite="Lax")
        self.request.headers[DEVICE_HEADER] = device  # replaces whatever the client sent

    def _send(self, page: str, status: int, notebook: str = "") -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        base = html.escape(self.base_url, quote=True)
        self.finish(_page(page).replace("{{base_url}}", base)
                    .replace("{{notebook}}", html.escape(notebook, quote=True))
                    .replace("{{message}}", html.escape(REFUSED_FR, quote=True)))


class ToAtelierHandler(PlainErrors, JupyterHandler):
    """The server's address alone (``/``, ``/voila/tree``) opens the participants' page,
    with the query kept (``/?atelier=CODE``), instead of listing the apps' folder."""

    def get(self, *args, **kwargs):
        query = f"?{self.request.query}" if self.request.query else ""
        self.redirect(f"{self.base_url}voila/render/atelier.ipynb{query}")


class ClosedHandler(PlainErrors, JupyterHandler):
    """A route Voilà opens and the workshop does not need (the folder's contents API)."""

    def get(self, *args, **kwargs):
        raise web.HTTPError(404)


class TemplateStaticHandler(PlainErrors, TemplateStaticFileHandler):
    """Voilà's template static files, where a path such as ``fabrique/static/..%2f..``
    ended in an AssertionError (a 500 and a traceback in the log): a 404."""

    @classmethod
    def get_absolute_path(cls, root, path):
        parts = os.path.normpath(path).split(os.path.sep, 2)
        if len(parts) != 3 or parts[1] != "static" or ".." in parts:
            raise web.HTTPError(404)
        return super().get_absolute_path(root, path)

    def parse_url_path(self, path):
        parts = path.split("/", 2)
        if len(parts) != 3 or parts[1] != "static":
            raise web.HTTPError(404)
        return super().parse_url_path(path)


@cache
def bokeh_js() -> tuple[str, bytes, str]:
    """The installed bokeh's ``bokeh.min.js``: (version, bytes, short hash). Read from the
    bokeh package itself, so it always matches the Python side (no copy to keep in step)."""
    import bokeh
    from bokeh.util.paths import bokehjs_path

    data = (Path(bokehjs_path()) / "js" / "bokeh.min.js").read_bytes()
    return bokeh.__version__, data, hashlib.sha256(data).hexdigest()[:12]


def bokeh_js_url(base_url: str) -> str:
    version, _, digest = bokeh_js()
    return f"{base_url}fabrique/bokeh/{version}-{digest}/bokeh.min.js"


class BokehJSHandler(JupyterHandler):
    """``GET /fabrique/bokeh/<version>-<hash>/bokeh.min.js``, cached for a year: the URL
    changes whenever the file does. Voilà's pages would otherwise embed BokehJS inline,
    twice (8.3 MB a page)."""

    def get(self, tag: str):
        version, data, digest = bokeh_js()
        if tag != f"{version}-{digest}":
            raise web.HTTPError(404)
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        self.set_header("Etag", f'"{digest}"')  # the file's hash: compressed once, and 304s
        if self.check_etag_header():
            self.set_status(304)
            self.finish()
            return
        self.finish(data)


class V1OnlyConnection(ZMQChannelsWebsocketConnection):
    """Kernel websockets speak the v1 protocol or nothing. A client that offers no
    subprotocol would get the legacy one, and a binary frame then sends Voilà's
    ``read_header_from_binary_message`` into an endless loop (memory reached 8 GB)."""

    async def prepare(self):
        offered = self.websocket_handler.request.headers.get("Sec-WebSocket-Protocol", "")
        if V1 not in [p.strip() for p in offered.split(",")]:
            raise web.HTTPError(400, "kernel websockets require the v1 subprotocol")
        handler = self.websocket_handler
        notebook_of = getattr(handler.kernel_manager, "notebook_of", None)
        if notebook_of is not None and notebook_of(self.kernel_id) in FACILITATOR_NOTEBOOKS:
            token = facilitator_token(create=False)
            proof = handler.get_cookie(PROOF_COOKIE, "")
            if not (token and token_ok(proof, facilitator_proof(token))):
                raise web.HTTPError(403, "the facilitator's kernel needs the facilitator's "
                                         "cookie")
        await super().prepare()

    @property
    def subprotocol(self) -> str:
        """Always v1, since :meth:`prepare` refused every other. jupyter_server reads the
        handler's selected subprotocol on every message; on a closing socket tornado no
        longer has it, and jupyter_server then switched to the legacy protocol for that
        message (a v1 frame read as a legacy binary message raises ``struct.error``, and a
        late reply was re-serialised the legacy way, logging a traceback)."""
        return V1

    @property
    def write_message(self):
        """The handler's ``write_message``, quiet when the page has gone: a kernel's reply
        that arrives while the socket closes is dropped with a debug line, not a traceback."""
        handler = self.websocket_handler

        def write(message, binary: bool = False):
            try:
                sent = handler.write_message(message, binary=binary)
            except WebSocketClosedError:
                self.log.debug("a kernel message arrived after its page closed the socket")
                return None
            sent.add_done_callback(_quiet_if_closed)
            return sent

        return write

    def handle_incoming_message(self, incoming_msg) -> None:
        """A frame that is not a v1 message (cut short, offsets past its end, a channel that
        is not text, a text frame) is dropped with one warning. jupyter_server raised on
        it, and tornado then logged a traceback and closed the page's websocket."""
        if not well_formed_v1(incoming_msg):
            self.log.warning("malformed kernel websocket frame dropped (%d bytes)",
                             len(incoming_msg))
            return
        try:
            super().handle_incoming_message(incoming_msg)
        except Exception as exc:  # a part the session cannot read: the page's fault
            self.log.warning("malformed kernel websocket frame dropped (%s)",
                             type(exc).__name__)


def _quiet_if_closed(sent) -> None:
    """Read a write's outcome so that a socket closed meanwhile is not logged as an
    exception nobody retrieved."""
    if not sent.cancelled():
        sent.exception()


V1_MIN_OFFSETS, V1_MAX_OFFSETS = 6, 1024  # channel, header, parent, metadata, content, end


def well_formed_v1(frame) -> bool:
    """Whether ``frame`` has the v1 layout jupyter_server reads without checking: a count
    of offsets, the offsets in order within the frame, a channel name in ASCII."""
    if not isinstance(frame, bytes) or len(frame) < 8:
        return False
    n = int.from_bytes(frame[:8], "little")
    if not V1_MIN_OFFSETS <= n <= V1_MAX_OFFSETS or len(frame) < 8 * (n + 1):
        return False
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(n)]
    if offsets[0] < 8 * (n + 1) or offsets[-1] > len(frame) or offsets != sorted(offsets):
        return False
    return frame[offsets[0]:offsets[1]].isascii()


def _loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


class KernelOnlyRequestInfoHandler(RequestInfoSocketHandler):
    """``/voila/query/<kernel id>`` hands a pre-started kernel its visitor's query string
    (which carries the Plénière's ``?jeton=``). Only the kernel itself may listen: from this
    machine, not through a proxy, and the first listener keeps its place."""

    async def get(self, kernel_id, *args, **kwargs):
        headers = self.request.headers
        if (not _loopback(self.request.remote_ip or "")
                or headers.get("X-Forwarded-For") or headers.get("X-Real-IP")
                or kernel_id in RequestInfoSocketHandler._waiters):
            raise web.HTTPError(403)
        await super().get(kernel_id, *args, **kwargs)

    def open(self, kernel_id: str) -> None:
        super().open(kernel_id)  # sends the request if it came first…
        RequestInfoSocketHandler._cache.pop(kernel_id, None)  # …which is then not kept

    def on_close(self) -> None:
        """Forget this listener only. Voilà's own deletes the last listener of the table
        when it does not find this one, and raises when the table is empty."""
        waiters = RequestInfoSocketHandler._waiters
        for kernel_id, waiter in list(waiters.items()):
            if waiter is self:
                del waiters[kernel_id]
