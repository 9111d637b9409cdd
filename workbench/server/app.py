"""``python -m workbench.server apps/ --participants 50``: standalone Voilà with the room's
rules (see :mod:`workbench.server.room`) and handlers (:mod:`workbench.server.handlers`).

It reads the same ``voila.json`` as plain ``voila`` and adds:

- ``--participants N`` sizes the atelier's pool for the room plus a margin for reloads,
  and the cap on live kernels from it and the machine's memory;
- ``GET /fabrique/salle``, the readiness signal: the browser tests wait for it, ``make
  workshop`` prints it, the Plénière shows it;
- BokehJS served once as a long-cached file, and responses compressed (static files once);
- the engine built once, before the kernels start (:mod:`workbench.prebuilt`);
- kernel websockets in the v1 protocol only, ``/voila/query`` for the kernels only, and no
  kernel id in the log at the default level.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys

from traitlets import Float, Integer, Unicode
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from ..identity import DEVICE_HEADER
from . import handlers as H
from .compression import CachedGzip
from .network import public_base_url
from .room import RoomRenderer, room_kernel_manager

ATELIER = "atelier.ipynb"
KERNEL_MB = 160  # a full-app participant kernel: 111 MB measured after use (README), room to grow
RESERVED_MB = 3000  # the server, the OS and the Plénière
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# jupyter_server logs a websocket's buffer as <kernel id>:<the page's session id>
SESSION_AFTER_KERNEL = re.compile(r"‹noyau›:[0-9a-f-]{8,}", re.I)


def pool_for(participants: int) -> int:
    """Pre-started kernels for a room: everyone, plus 10 % (at least 2) for reloads."""
    return participants + max(2, math.ceil(participants * 0.1))


def cap_for(pool: int, memory_mb: float) -> int:
    """Live kernels allowed: twice the pool, and never more than the memory holds."""
    return max(pool + 1, min(2 * pool, int((memory_mb - RESERVED_MB) // KERNEL_MB)))


def hide_kernel_ids() -> None:
    """Kernel ids are as good as a participant's session: no log record above DEBUG carries
    one, whichever logger writes it (Voilà's, jupyter_server's, tornado's access log)."""
    plain = logging.getLogRecordFactory()
    if getattr(plain, "hides_kernel_ids", False):
        return

    def factory(*args, **kwargs):
        record = plain(*args, **kwargs)
        if record.levelno > logging.DEBUG:
            message = record.getMessage()
            if UUID.search(message):
                hidden = SESSION_AFTER_KERNEL.sub("‹noyau›:‹session›",
                                                  UUID.sub("‹noyau›", message))
                record.msg, record.args = hidden, ()
        return record

    factory.hides_kernel_ids = True
    logging.setLogRecordFactory(factory)


class FabriqueServer(Voila):
    name = "fabrique-voila"
    description = "Fabrique 2030 workshop server (standalone Voilà with the room's rules)"

    participants = Integer(
        int(os.environ.get("FABRIQUE_PARTICIPANTS", "50")), config=True,
        help="People expected in the room: sizes the pool of pre-started atelier kernels.")
    max_kernels = Integer(0, config=True, help="Cap on live kernels (0: from the memory).")
    refill_quiet = Float(8.0, config=True, help="Seconds without arrivals before refills.")
    disconnect_grace = Float(40.0, config=True,
                             help="Seconds before the kernel of a closed page is shut down.")
    public_url = Unicode(os.environ.get("PUBLIC_URL", ""), config=True,
                         help="The address participants' devices use (default: detected).")

    shard = Unicode(os.environ.get("FABRIQUE_SHARD", ""), config=True,
                    help="This server's name behind a reverse proxy (deploy/): shown in "
                         "/fabrique/salle so that each shard's room can be told apart.")

    aliases = {**Voila.aliases, "participants": "FabriqueServer.participants",
               "max-kernels": "FabriqueServer.max_kernels",
               "public-url": "FabriqueServer.public_url", "shard": "FabriqueServer.shard"}

    def initialize(self, argv=None):
        super().initialize(argv)
        self.kernel_websocket_connection_class = H.V1OnlyConnection
        pools = dict(self.config.VoilaKernelManager.get("kernel_pools_config", {}) or {})
        pools.setdefault("default", {"pool_size": 0})
        pools[ATELIER] = {**pools.get(ATELIER, {}), "pool_size": pool_for(self.participants)}
        self.config.VoilaKernelManager.kernel_pools_config = pools
        extra = self.config.VoilaConfiguration.get("resources", {})
        extra = dict(extra) if isinstance(extra, dict) else {}
        self.config.VoilaConfiguration.resources = {
            **extra, "fabrique_bokeh_js": H.bokeh_js_url(self.base_url)}
        # the participant's device id reaches the kernel as HTTP_X_FABRIQUE_APPAREIL
        # (on the configuration object itself: Voilà built it inside super().initialize)
        headers = list(self.voila_configuration.http_header_envs or [])
        self.voila_configuration.http_header_envs = sorted({*headers, DEVICE_HEADER})
        hide_kernel_ids()
        self.prebuild_engine()

    def prebuild_engine(self) -> None:
        """Write the built engine every kernel reads back (workbench/prebuilt.py), before
        the room's kernels start: none of them then builds one or imports pandas."""
        from .. import prebuilt

        try:
            self.log.info("Moteur préparé pour les noyaux : %s", prebuilt.write().name)
        except Exception:  # each kernel builds its own, as before: slower, never wrong
            self.log.warning("Le moteur n'a pas pu être préparé d'avance", exc_info=True)

    def init_settings(self):
        import voila.app as voila_app
        import voila.handler as voila_handler

        plain = voila_app.voila_kernel_manager_factory

        def factory(*args, **kwargs):
            return room_kernel_manager(plain(*args, **kwargs))

        # Voilà builds its kernel manager class inside init_settings from this module-level
        # factory; putting the room's rules in front of the class it returns is the one
        # extension point that keeps Voilà's own pooling code (hand-out, render, shutdown).
        voila_app.voila_kernel_manager_factory = factory
        # pages rendered without a pool (the Scénarios page) get the French server-error
        # text too: Voilà's handler builds its renderer from this module-level name
        voila_handler.NotebookRenderer = RoomRenderer
        # what every kernel reads (the pooled ones copy the environment when the kernel
        # manager is built, inside init_settings)
        base = public_base_url(self.public_url, self.ip, self.port)
        os.environ["FABRIQUE_BOKEH_JS"] = "page"  # the template loads it (build_app)
        os.environ["FABRIQUE_PUBLIC_URL"] = base  # the Plénière's join link and QR code
        os.environ["FABRIQUE_ROOM_STATUS_URL"] = (
            f"http://{_connect_host(self.ip)}:{self.port}{self.base_url}fabrique/salle")
        try:
            settings = super().init_settings()
        finally:
            voila_app.voila_kernel_manager_factory = plain
        km = self.kernel_manager
        import psutil

        memory_mb = psutil.virtual_memory().total / 2**20
        km.max_kernels = self.max_kernels or cap_for(pool_for(self.participants), memory_mb)
        km.refill_quiet = self.refill_quiet
        km.disconnect_grace = self.disconnect_grace
        km.shard = self.shard
        km.fill_concurrency = max(1, os.cpu_count() or 1)
        # Voilà 0.5 applies Voila.tornado_settings after the Application is built, too late
        # for compression; a setting passed to the constructor is read in time. Tornado's
        # gzip, with static files compressed once (workbench/server/compression.py).
        settings["transforms"] = [CachedGzip]
        self.log.info("Participants : %svoila/render/%s", base, ATELIER)
        self.log.info("Salle : %d postes préparés pour %d participants (au plus %d noyaux)",
                      pool_for(self.participants), self.participants, km.max_kernels)
        return settings

    def init_handlers(self):
        out = []
        for entry in super().init_handlers():
            pattern, cls, *rest = entry
            if cls is TornadoVoilaHandler:
                cls = H.RoomVoilaHandler
            elif cls is RequestInfoSocketHandler:
                cls = H.KernelOnlyRequestInfoHandler
            elif cls is TornadoVoilaTreeHandler:  # the folder's listing: the atelier instead
                cls, rest = H.ToAtelierHandler, []
            elif cls is VoilaContentsHandler:  # the folder's contents API: closed
                cls, rest = H.ClosedHandler, []
            elif cls is TemplateStaticFileHandler:
                cls = H.TemplateStaticHandler
            out.append((pattern, cls, *rest))
        base = self.server_url.rstrip("/")
        return [(f"{base}/fabrique/salle", H.RoomStatusHandler),
                (f"{base}/fabrique/bokeh/([^/]+)/bokeh\\.min\\.js", H.BokehJSHandler), *out]


def _connect_host(ip: str) -> str:
    if ip in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{ip}]" if ":" in ip else ip


def main(argv: list[str] | None = None) -> None:
    FabriqueServer.launch_instance(argv if argv is not None else sys.argv[1:])
