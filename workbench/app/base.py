"""What every workshop app page is built from: the app's contract (:class:`WorkshopApp`: its
store, the browser's request), how its notebook builds it (:func:`build_app`, a French
message instead of a traceback), the two small HTML pieces every page uses, and the server
log the apps write to (:class:`ServerLogHandler`: never the participant's page). Importing
any app module sets that log up."""

from __future__ import annotations

import logging
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable

import ipywidgets as W

from ..format import french_spacing
from ..identity import kernel_device
from ..text import escape as esc

log = logging.getLogger(__name__)


class ServerLogHandler(logging.Handler):
    """Writes records to the server's log, never to the participant's page.

    Inside an IPython kernel ``sys.stderr`` (and file descriptor 2) are forwarded to the
    browser, and Voilà shows stderr outputs on the page; ipykernel keeps a copy of the
    original descriptor (``sys.stderr._original_stdstream_copy``), which is the terminal or
    log of the Voilà server that started the kernel. Outside a kernel this is plain stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "replace")
            fd = getattr(sys.stderr, "_original_stdstream_copy", None)
            if isinstance(fd, int):
                while data:
                    data = data[os.write(fd, data):]
            else:
                # no copy: descriptor 2 was not redirected (ipykernel does not when it runs
                # under pytest), so the process's own stderr is still the server's log;
                # sys.stderr would be the page
                out = sys.__stderr__ if _in_kernel() else sys.stderr
                out.write(data.decode("utf-8"))
                out.flush()
        except Exception:
            self.handleError(record)


def _in_kernel() -> bool:
    return type(sys.stderr).__module__.startswith("ipykernel")


def _setup_logging() -> None:
    app_log = logging.getLogger("workbench.app")
    if not any(isinstance(h, ServerLogHandler) for h in app_log.handlers):
        handler = ServerLogHandler()
        handler.setFormatter(logging.Formatter(
            "[%(asctime)s %(levelname)s %(name)s] %(message)s"))
        app_log.addHandler(handler)
        app_log.setLevel(logging.INFO)
    # Not to the root logger: in a kernel, whatever configured it (pyam does) may write to
    # sys.stderr, which is the participant's page.
    app_log.propagate = False


_setup_logging()


def html_widget(value: str = "", css: str | None = None) -> W.HTML:
    """An HTML widget as wide as its column, with a CSS class for the page's style sheet.
    ``value`` is HTML: text from anyone goes through ``workbench.text.escape`` first."""
    w = W.HTML(value=value, layout=W.Layout(width="auto"))
    if css:
        w.add_class(css)
    return w


def message_html(text: str, ok: bool) -> str:
    """A French message (escaped), announced to screen readers: politely when all went
    well, at once when not."""
    kind = "fab-msg-ok" if ok else "fab-msg-error"
    role = "status" if ok else "alert"
    return f'<div class="fab-msg {kind}" role="{role}">{esc(french_spacing(text))}</div>'


class WorkshopApp(ABC):
    """What both workshop apps share: the store, opened on first use, and the browser's
    request, read once a pre-started kernel is given to a page."""

    _store = None

    @property
    def store(self):
        if self._store is None:
            from ..store import Store

            self._store = Store()
        return self._store

    @abstractmethod
    def apply_query(self, query: str, request_url: str = "") -> object:
        """Use the page's query string (each app says what it reads)."""

    def apply_request(self) -> None:
        """In Voilà: wait for the browser's request (pre-started kernels), then apply it."""
        from .voila_request import wait_for_request  # not voila.utils: 46 MB per kernel

        if not wait_for_request():
            log.info("not in a pre-started Voilà kernel, or no request: no query string")
        self.device = kernel_device()
        self.apply_query(os.environ.get("QUERY_STRING", ""), request_url())


def request_url() -> str:
    """The page's URL as the browser asked for it. Voilà sets VOILA_REQUEST_URL only for
    kernels started on demand; a pre-started kernel gets the parts (host, port, path) after
    ``wait_for_request``. The scheme is http unless a proxy says otherwise."""
    env = os.environ
    if env.get("VOILA_REQUEST_URL"):
        return env["VOILA_REQUEST_URL"]
    host, path = env.get("SERVER_NAME", ""), env.get("SCRIPT_NAME", "")
    if not host or not path:
        return ""
    port = env.get("SERVER_PORT", "")
    scheme = env.get("HTTP_X_FORWARDED_PROTO", "http")
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}{':' + port if port else ''}{path}"


class Unavailable:
    """What the notebook gets when the app cannot be built: a French message."""

    def __init__(self, exc: BaseException):
        from .overview import failure_widget

        self.widget = failure_widget(exc)

    def apply_request(self) -> None:
        """Nothing to apply."""


def build_app(factory: Callable[[], WorkshopApp], what: str) -> WorkshopApp | Unavailable:
    """Build a workshop app for its notebook; a failure gives a French message, never a
    traceback. The workshop server (workbench/server) puts BokehJS in the page as one
    long-cached file and says so with FABRIQUE_BOKEH_JS=page; anywhere else (plain Voilà,
    JupyterLab) it is embedded in the page, since the room may have no internet."""
    try:
        if os.environ.get("FABRIQUE_BOKEH_JS") != "page":
            from bokeh.io import output_notebook
            from bokeh.resources import INLINE

            output_notebook(resources=INLINE, hide_banner=True)
        app = factory()
        from .guard import guard_comms

        guard_comms()  # the page may now open comms only for the app's widget models
        return app
    except Exception as exc:
        log.exception("the %s could not be built", what)
        return Unavailable(exc)
