"""App budgets of the workshop (../shared/product.md), measured on this machine: not a test.

Run by hand: .venv/bin/python benchmarks/apps.py [--participants 50] [--moves 40] [--loads 5]
Starts its own standalone Voilà from the repository root exactly as `make workshop` does
(voila.json: 8 pre-started atelier kernels), FABRIQUE_VAR in a temporary folder, and measures:

1. lever moved -> every chart updated, in Chromium (budget: median <= 150 ms): keyboard moves
   of the net-migration slider; in the page, from the keydown to the change of the Population
   card (the app replaces the charts' data sources before it updates the cards, in the same
   kernel callback, and messages are processed in order), then to the next animation frame;
   a pixel checksum of the Bokeh canvases says whether the charts were repainted;
2. app ready in the browser (<= 2 s with pre-started kernels): page.goto -> key figures
   visible and a Bokeh canvas drawn, with a full pool; plus the first load right after the
   server starts (pool still filling);
3. N simulated participants at the kernel-protocol level (each kernel <= 200 MB, nothing lost):
   page GET (assigns a kernel), kernel websocket (v1 protocol, comm messages only), join,
   slider moves timed until the key-figure cards update arrives, text, submit; then every
   submission is checked in the store and the RSS of every kernel is read from /proc.
   A fresh server is used for this part, so the kernels of parts 1-2 do not count.

Prints a Markdown table and writes benchmarks/results/apps.json. Every wait has a timeout; the
Voilà server and its kernels are stopped at the end, also on failure or Ctrl-C. About 4-6 min.
--repo DIR serves a copy of the repository (e.g. `git archive HEAD | tar -x -C DIR`) while
others edit the checkout. The CPU use of the whole machine before each part is printed: on a
shared machine the latencies are upper bounds.

Notes: Voilà's "Kernel pool ... is filled" means the kernels have started, not that their
notebooks have run: the script waits for the server's CPU to go quiet instead. The kernel
websocket must use the v1 protocol, as the page does: with the legacy protocol, the first
binary message (a Bokeh patch) makes Voilà 0.5.13's read_header_from_binary_message read a
huge offset count, and the server spins and eats memory (8 GB in a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]  # served from here unless --repo says otherwise
APP = "/voila/render/atelier.ipynb"
CHROMIUM = os.environ.get("FABRIQUE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
POOL_FILLED = "Kernel pool of atelier.ipynb is filled"
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"  # what the Voilà page itself uses
WIDGET_VIEW = b"application/vnd.jupyter.widget-view+json"  # the app's output in the page
ERROR_WORDS = re.compile(r"\bERROR\b|Traceback|Exception|Error:|CRITICAL")
KNOWN_NOISE = ("WARNING | Notebook", "running over TCP without encryption",
               "websocket_ping_timeout", "plénière refused")  # not errors


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median": pct(values, 50), "p95": pct(values, 95),
            "min": min(values) if values else float("nan"),
            "max": max(values) if values else float("nan")}


def code_env() -> dict[str, str]:
    """The environment of the server and its kernels: `workbench` imported from REPO."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if REPO != Path(__file__).resolve().parents[1]:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def machine_busy(seconds: float = 2.0) -> dict:
    """How busy the whole machine is (other users' processes included) before a part."""
    def ticks():
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(f), f[3] + f[4]  # total, idle + iowait
    t1, i1 = ticks()
    time.sleep(seconds)
    t2, i2 = ticks()
    return {"busy_pct": 100 * (1 - (i2 - i1) / max(1, t2 - t1)),
            "loadavg_1min": os.getloadavg()[0]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in MB; {} if it is gone."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return out


class Voila:
    """`python -m voila apps/` from the repository root (reads voila.json), as `make workshop`
    runs it, on a free port, FABRIQUE_VAR in `folder`; killed with its kernels by stop()."""

    def __init__(self, folder: Path):
        self.var = folder / "var"
        self.var.mkdir(parents=True, exist_ok=True)
        self.log = folder / "voila.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.kernel_pids: dict[int, str] = {}  # every kernel seen: pid -> kernel id
        env = {**code_env(), "FABRIQUE_VAR": str(self.var)}
        cmd = [sys.executable, "-m", "voila", "apps/", "--Voila.ip=127.0.0.1",
               f"--port={self.port}", "--no-browser", "--Voila.port_retries=0"]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.started = time.perf_counter()

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until a static file answers (a notebook request would execute one)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/voila/static/voila.js", timeout=2):
                    return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"voila did not answer within {timeout} s:\n{self.tail()}")

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.text().splitlines()[-n:])

    def count(self, needle: str) -> int:
        return self.text().count(needle)

    def wait_log(self, needle: str, at_least: int, timeout: float) -> float:
        """Seconds until `needle` appears `at_least` times in the log."""
        t0 = time.perf_counter()
        deadline = time.monotonic() + timeout
        while self.count(needle) < at_least:
            if self.proc.poll() is not None:
                raise RuntimeError(f"voila exited:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {needle!r} x{at_least} within {timeout} s")
            time.sleep(0.1)
        return time.perf_counter() - t0

    def cpu_seconds(self, which=None) -> float:
        """CPU time used so far by the server and its live kernels (those whose id passes
        `which`, and not the server, if given)."""
        total = 0.0
        kernels = self.kernels()
        pids = ([self.proc.pid, *kernels] if which is None
                else [pid for pid, kid in kernels.items() if which(kid)])
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def wait_quiet(self, timeout: float = 240, cores: float = 0.15, which=None) -> float:
        """Seconds until the server and its kernels use < `cores` CPU for 2 s in a row: the
        pool's notebooks are executed. (POOL_FILLED only says the kernels have started.)"""
        t0 = time.perf_counter()
        quiet, last = 0, self.cpu_seconds(which)
        while quiet < 2:
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError(f"server still busy after {timeout} s")
            time.sleep(1.0)
            now = self.cpu_seconds(which)
            quiet = quiet + 1 if now - last < cores else 0
            last = now
        return time.perf_counter() - t0

    def kernels(self) -> dict[int, str]:
        """The live kernel processes (children of the server): pid -> kernel id."""
        out = {}
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if ppid != self.proc.pid:
                    continue
                args = (d / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except (OSError, IndexError, ValueError):
                continue
            if "ipykernel_launcher" in " ".join(args):
                m = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(args))
                out[int(d.name)] = m.group(1) if m else "?"
        self.kernel_pids.update(out)
        return out

    def errors(self) -> list[str]:
        return [line for line in self.text().splitlines()
                if ERROR_WORDS.search(line) and not any(k in line for k in KNOWN_NOISE)]

    def stop(self) -> None:
        self.kernels()
        if self.proc.poll() is None:
            self.proc.terminate()  # Voilà shuts its kernels down on SIGTERM
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        time.sleep(0.5)
        for pid, kid in self.kernel_pids.items():  # any survivor, checked by its cmdline
            try:
                if kid in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ProcessLookupError):
                pass


# -- 1 and 2: the browser --------------------------------------------------------------------

PAGE_HELPERS = r"""
window.__fab = (() => {
  const KF = ".fab-atelier .fab-kf[data-variable='Population'] .fab-kf-2030";
  function canvases() {   // Bokeh 3 draws inside shadow roots
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName === 'CANVAS' && el.width > 0 && el.height > 0) out.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out;
  }
  function checksums() {
    return canvases().map((c) => {
      const ctx = c.getContext('2d');
      if (!ctx) return -1;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let h = 0;
      for (let i = 0; i < d.length; i += 5) h = (h * 31 + d[i]) | 0;
      return h;
    });
  }
  function ready() {
    const kf = document.querySelector(KF);
    if (!kf || kf.getClientRects().length === 0 || !kf.textContent.trim()) return null;
    return canvases().length > 0 ? performance.now() : null;
  }
  const st = {result: null};
  function arm() {           // call before a key press; st.result is set once it is shown
    const kf = document.querySelector(KF);
    const before = kf.textContent;
    const box = kf.closest('.widget-html-content') || document.body;
    const sums = checksums();
    st.result = null;
    st.tKey = null;
    document.addEventListener('keydown', () => {
      if (st.tKey === null) st.tKey = performance.now();
    }, {capture: true, once: true});
    const obs = new MutationObserver(() => {
      const now = document.querySelector(KF);
      if (!now || now.textContent === before) return;
      const tDom = performance.now();
      obs.disconnect();
      requestAnimationFrame(() => {
        const tFrame = performance.now();
        // let Bokeh paint (it renders on animation frames), then compare the canvases
        requestAnimationFrame(() => requestAnimationFrame(() => {
          const after = checksums();
          const changed = after.filter((h, i) => h !== sums[i]).length;
          st.result = {tKey: st.tKey, tDom, tFrame, text: now.textContent,
                       canvases: after.length, changed};
        }));
      });
    });
    obs.observe(box, {childList: true, subtree: true, characterData: true});
  }
  return {arm, st, ready, canvases, checksums};
})();
"""


def open_ready(context, url: str, timeout_ms: int = 90_000):
    """page.goto -> Population card visible and a Bokeh canvas drawn: (page, wall s, in-page s)."""
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    handle = page.wait_for_function("() => window.__fab && window.__fab.ready()",
                                    timeout=timeout_ms, polling="raf")
    wall = time.perf_counter() - t0
    return page, wall, handle.json_value() / 1000


def browser_part(server: Voila, args, out: dict) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
            ctx.add_init_script(PAGE_HELPERS)
            # Voilà logs POOL_FILLED once for the first fill, then once per refill, and
            # refills one kernel per page taken from the pool: full = 1 + pages taken.
            # cold: the first load right after start-up, while the pool is still filling
            page, wall, inpage = open_ready(ctx, server.url + APP)
            out["cold_load"] = {"wall_s": wall, "in_page_s": inpage,
                                "pool_filled_before_done": server.count(POOL_FILLED) > 0,
                                "since_server_start_s": time.perf_counter() - server.started}
            page.close()
            taken = 1
            print(f"  cold load (pool filling): {wall:.2f} s", flush=True)
            # warm: a full pool, and a quiet machine, before each load
            walls, inpages = [], []
            for i in range(args.loads):
                if i:
                    page.close()
                server.wait_log(POOL_FILLED, 1 + taken, 180)
                server.wait_quiet()
                page, wall, inpage = open_ready(ctx, server.url + APP)
                taken += 1
                walls.append(wall)
                inpages.append(inpage)
                print(f"  warm load {i + 1}: {wall:.2f} s", flush=True)
            server.wait_log(POOL_FILLED, 1 + taken, 180)  # the last refill is over
            server.wait_quiet()
            out["warm_load"] = {"wall_s": summary(walls), "in_page_s": summary(inpages),
                                "runs_wall_s": walls}
            # lever moves on the last page
            handle = page.locator(".fab-slider-net_migration .noUi-handle")
            handle.focus()
            page.wait_for_timeout(500)
            dom, frame, changed, canvases, timeouts = [], [], [], [], 0
            for i in range(args.moves + 2):  # two warm-up moves
                page.evaluate("window.__fab.arm()")
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                try:
                    page.wait_for_function("() => window.__fab.st.result", timeout=20_000,
                                           polling="raf")
                except Exception:
                    timeouts += 1
                    handle.focus()
                    continue
                r = page.evaluate("window.__fab.st.result")
                if i >= 2:
                    dom.append(r["tDom"] - r["tKey"])
                    frame.append(r["tFrame"] - r["tKey"])
                    changed.append(r["changed"])
                    canvases.append(r["canvases"])
                page.wait_for_timeout(150)  # a human does not press 7 keys a second
            out["lever_move"] = {
                "to_cards_dom_ms": summary(dom), "to_next_frame_ms": summary(frame),
                "canvases": max(canvases) if canvases else 0,
                "canvases_repainted_median": statistics.median(changed) if changed else 0,
                "moves_with_no_repaint": sum(1 for c in changed if c == 0),
                "timeouts": timeouts, "runs_ms": frame}
            print(f"  lever moves: median {pct(frame, 50):.0f} ms to the painted frame "
                  f"({len(frame)} moves, {timeouts} time-outs)", flush=True)
            text = page.inner_text("body")
            out["browser_page_errors"] = [w for w in ("Traceback", "Error", "Exception")
                                          if w in text]
        finally:
            browser.close()


# -- 3: simulated participants ------------------------------------------------------------------

def ws_pack(channel: str, msg: dict) -> bytes:
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    parts = [json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata",
                                                     "content")]
    return serialize_msg_to_ws_v1(parts, channel)


def ws_unpack(raw) -> dict:
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

    if isinstance(raw, str):  # never with v1, kept for safety
        return json.loads(raw)
    channel, parts = deserialize_msg_from_ws_v1(raw)
    return {"channel": channel, "header": json.loads(parts[0]),
            "parent_header": json.loads(parts[1]), "content": json.loads(parts[3]),
            "buffers": parts[4:]}


class Participant:
    """One participant's browser, reduced to its kernel messages."""

    def __init__(self, n: int, server: Voila, session, args, rng: random.Random, t0: float):
        self.n, self.server, self.session, self.args, self.rng, self.t0 = (
            n, server, session, args, rng, t0)
        self.session_id = uuid.uuid4().hex
        self.pseudonym = f"Participant {n:02d} <b>"
        self.text = (f"Futur n° {n} : des logements près des bus, plus d'aide à domicile "
                     f"& « moins d'écrans » <script>alert({n})</script>")
        self.moves: list[dict] = []  # {"ms", "at_s", "charts"}
        self.levers: dict[str, float] = {}
        self.errors: list[str] = []
        self.stderr: list[str] = []
        self.kernel_id = ""

    def msg(self, msg_type: str, content: dict, metadata: dict | None = None) -> dict:
        return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type,
                           "username": f"p{self.n}", "session": self.session_id,
                           "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": metadata or {}, "content": content}

    async def get_page(self) -> float:
        from tornado.httpclient import AsyncHTTPClient

        head, seen, flags = bytearray(), [], set()

        self.page_bytes = 0

        def chunk(data: bytes) -> None:
            self.page_bytes += len(data)
            if len(head) < 400_000:
                head.extend(data)
            tail = (seen[-1][-200:] if seen else b"") + data
            seen[:] = [data]
            for word in (b"Traceback", b"Le calcul n'a pas pu", WIDGET_VIEW):
                if word in tail:
                    flags.add(word.decode())

        t = time.perf_counter()
        await AsyncHTTPClient().fetch(self.server.url + APP, streaming_callback=chunk,
                                      request_timeout=self.args.timeout, connect_timeout=30)
        elapsed = time.perf_counter() - t
        m = re.search(rb'"kernelId":\s*"([0-9a-f-]{36})"', bytes(head))
        if not m:
            raise RuntimeError("no kernelId in the page")
        self.kernel_id = m.group(1).decode()
        if WIDGET_VIEW.decode() not in flags:
            self.errors.append("the page has no widget output (the app is not shown)")
        flags.discard(WIDGET_VIEW.decode())
        if flags:
            self.errors.append(f"page shows {sorted(flags)}")
        return elapsed

    async def drain(self) -> None:
        while True:
            raw = await self.ws.read_message()
            self.inbox.put_nowait((time.perf_counter(), raw))
            if raw is None:
                return

    async def send(self, msg: dict) -> str:
        self.t_sent = time.perf_counter()
        await self.ws.write_message(ws_pack("shell", msg), binary=True)
        return msg["header"]["msg_id"]

    async def until(self, parent: str, want=None, timeout: float = 60.0):
        """Read kernel messages until the kernel is idle after `parent`; return the time (s)
        of the first message matching `want` since the last send (None if none) and the
        Bokeh comms that sent before it."""
        t0 = self.t_sent
        hit, bokeh = None, set()
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"participant {self.n}: no reply within {timeout} s")
            received, raw = await asyncio.wait_for(self.inbox.get(), left)
            if raw is None:
                raise ConnectionError(f"participant {self.n}: websocket closed")
            m = ws_unpack(raw)
            kind, content = m["header"]["msg_type"], m["content"]
            if kind == "stream" and content.get("name") == "stderr":
                self.stderr.append(content.get("text", "")[:300])
            if kind == "comm_msg":
                cid = content.get("comm_id")
                if cid in self.bokeh_ids and hit is None:
                    bokeh.add(cid)
                if hit is None and want and want(cid, content.get("data", {}), m):
                    hit = received - t0
            if (kind == "status" and content.get("execution_state") == "idle"
                    and m["parent_header"].get("msg_id") == parent):
                return hit, bokeh

    def model(self, css: str) -> str:
        ids = [k for k, s in self.states.items() if css in s["state"].get("_dom_classes", [])]
        if len(ids) != 1:
            raise RuntimeError(f"participant {self.n}: {len(ids)} widgets with class {css}")
        return ids[0]

    def update(self, comm_id: str, state: dict) -> dict:
        return self.msg("comm_msg", {"comm_id": comm_id, "data": {
            "method": "update", "state": state, "buffer_paths": []}})

    def click(self, comm_id: str) -> dict:
        return self.msg("comm_msg", {"comm_id": comm_id, "data": {
            "method": "custom", "content": {"event": "click"}}})

    @staticmethod
    def html_update(comm_id: str, needle: str):
        def want(cid, data, _m):
            return (cid == comm_id and data.get("method") == "update"
                    and needle in str(data.get("state", {}).get("value", "")))
        return want

    async def run(self) -> dict:
        from tornado.websocket import websocket_connect

        a = self.args
        result = {"n": self.n}
        try:
            if a.spread:
                await asyncio.sleep(self.rng.uniform(0, a.spread))
            result["arrived_s"] = time.perf_counter() - self.t0
            result["get_s"] = await self.get_page()
            result["page_bytes"] = self.page_bytes
            result["page_at_s"] = time.perf_counter() - self.t0
            url = (self.server.url.replace("http", "ws", 1)
                   + f"/api/kernels/{self.kernel_id}/channels?session_id={self.session_id}")
            self.ws = await asyncio.wait_for(
                websocket_connect(url, subprotocols=[WS_PROTOCOL],
                                  max_message_size=64 * 2**20), 30)
            # like a browser, read the socket all the time (tornado reads frames, and so
            # answers the server's pings, only while its one-message queue is drained)
            self.inbox: asyncio.Queue = asyncio.Queue()
            reader = asyncio.ensure_future(self.drain())
            try:
                await self.play(result)
            finally:
                self.ws.close()
                reader.cancel()
        except Exception as exc:  # reported, never raised: the others go on
            self.errors.append(f"{type(exc).__name__}: {exc}")
        result.update(kernel_id=self.kernel_id, moves=self.moves, levers=self.levers,
                      errors=self.errors, stderr=self.stderr[:3])
        return result

    async def play(self, result: dict) -> None:
        a, rng = self.args, self.rng
        # the widget states, as the page's widget manager gets them (ipywidgets 8)
        self.bokeh_ids: set[str] = set()
        control = uuid.uuid4().hex
        opened = await self.send(self.msg("comm_open", {
            "comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
            metadata={"version": "1.0.0"}))
        await self.until(opened, timeout=a.timeout)
        box = {}

        def got_states(cid, data, m):
            if cid == control and data.get("method") == "update_states":
                box["states"] = data["states"]
                return True
            return False

        hit, _ = await self.until(await self.send(self.msg("comm_msg", {
            "comm_id": control, "data": {"method": "request_states"}})), got_states, a.timeout)
        if hit is None:
            raise RuntimeError("no widget states")
        self.states = box["states"]
        self.bokeh_ids = {k for k, s in self.states.items() if s["model_name"] == "BokehModel"}
        cards = [k for k, s in self.states.items()
                 if 'data-variable="Population"' in str(s["state"].get("value", ""))]
        if len(cards) != 1:
            raise RuntimeError(f"{len(cards)} card widgets")
        cards = cards[0]
        # join: type the code and the pseudonym, click
        code, name = self.model("fab-join-code"), self.model("fab-join-pseudonyme")
        for cid, value in ((code, self.session.display_code), (name, self.pseudonym)):
            await self.until(await self.send(self.update(cid, {"value": value})),
                             timeout=a.timeout)
            await asyncio.sleep(rng.uniform(0.2, 0.6))
        welcome, _ = await self.until(await self.send(self.click(self.model("fab-join-button"))),
                                      lambda c, d, m: "Bienvenue" in str(
                                          d.get("state", {}).get("value", "")), a.timeout)
        if welcome is None:
            raise RuntimeError("join: no « Bienvenue »")
        result["join_ms"] = welcome * 1000
        # moves: random values on each lever's grid, timed until the cards update arrives
        sliders = {k: s["state"] for k, s in self.states.items()
                   if s["model_name"] == "FloatSliderModel"}
        lever_of = {k: next(c for c in st["_dom_classes"] if c.startswith("fab-slider-"))[11:]
                    for k, st in sliders.items()}
        current = {k: st["value"] for k, st in sliders.items()}

        async def move(phase: str, think: tuple[float, float]) -> None:
            await asyncio.sleep(rng.uniform(*think))
            k = rng.choice(sorted(sliders))
            st = sliders[k]
            steps = round((st["max"] - st["min"]) / st["step"])
            value = current[k]
            while value == current[k]:
                value = round(st["min"] + rng.randint(0, steps) * st["step"], 6)
            at = time.perf_counter() - self.t0
            hit, charts = await self.until(
                await self.send(self.update(k, {"value": value})),
                lambda c, d, m: c == cards and d.get("method") == "update"
                and "value" in d.get("state", {}), a.timeout)
            current[k] = value
            self.levers[lever_of[k]] = value
            if hit is not None:
                self.moves.append({"ms": hit * 1000, "at_s": at, "charts": len(charts),
                                   "phase": phase})

        # arrival: a first few moves at once, while the others are still arriving
        for _ in range(a.arrival_moves):
            await move("arrival", (0.3, 1.2))
        # everybody in, the pool refilled: all participants explore at the same time
        self.at_barrier.set()
        await asyncio.wait_for(self.go.wait(), a.burst_timeout)
        for _ in range(a.slider_moves):
            await move("together", a.think)
        # why this future is desirable, then submit
        await asyncio.sleep(rng.uniform(*a.think))
        await self.until(await self.send(self.update(self.model("fab-text"),
                                                     {"value": self.text})), timeout=a.timeout)
        done, _ = await self.until(await self.send(self.click(self.model("fab-submit"))),
                                   lambda c, d, m: "enregistré" in str(
                                       d.get("state", {}).get("value", "")), a.timeout)
        if done is None:
            raise RuntimeError("submit: no « Votre futur est enregistré »")
        result["submit_ms"] = done * 1000


async def burst(server: Voila, session, args) -> tuple[list[dict], dict]:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=args.participants + 5,
                              max_body_size=256 * 2**20)
    rng = random.Random(2030)
    t0 = time.perf_counter()
    people = [Participant(i + 1, server, session, args, random.Random(rng.random()), t0)
              for i in range(args.participants)]
    go = asyncio.Event()
    for p in people:
        p.at_barrier, p.go = asyncio.Event(), go
    tasks = [asyncio.ensure_future(p.run()) for p in people]
    # barrier: every participant has arrived (or failed), then the pool's refill is over
    deadline = t0 + args.burst_timeout
    while not all(p.at_barrier.is_set() or t.done() for p, t in zip(people, tasks, strict=True)):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.2)
    all_in = time.perf_counter() - t0
    mine = {p.kernel_id for p in people if p.kernel_id}
    try:
        refill = await asyncio.to_thread(
            server.wait_quiet, max(10.0, deadline - time.perf_counter()), 0.15,
            lambda kid: kid not in mine)
    except TimeoutError:
        refill = float("nan")
    stats = {"all_in_s": all_in, "pool_refilled_s": all_in + refill}
    go.set()
    done, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.perf_counter()
                                                          + args.timeout))
    for t in pending:
        t.cancel()
    results = []
    for p, t in zip(people, tasks, strict=True):
        if t in done:
            results.append(t.result())
        else:
            results.append({"n": p.n, "kernel_id": p.kernel_id, "moves": p.moves,
                            "levers": p.levers, "errors": ["not finished in time"]})
    stats["elapsed_s"] = time.perf_counter() - t0
    return results, stats


def participants_part(server: Voila, args, out: dict) -> None:
    from workbench.store import Store

    store = Store(f"sqlite:///{server.var / 'fabrique.sqlite3'}")
    session = store.create_session("Banc d'essai : 50 participants")
    idle = {pid: proc_status(pid) for pid in server.kernels()}
    out["idle_kernel_rss_mb"] = summary([s["VmRSS"] for s in idle.values() if s])
    results, stats = asyncio.run(burst(server, session, args))
    # the kernels, measured once everybody has submitted
    kernels = server.kernels()
    mine = {r["kernel_id"] for r in results if r.get("kernel_id")}
    part_rss, part_hwm, other_rss = [], [], []
    for pid, kid in kernels.items():
        s = proc_status(pid)
        if not s:
            continue
        if kid in mine:
            part_rss.append(s["VmRSS"])
            part_hwm.append(s["VmHWM"])
        else:
            other_rss.append(s["VmRSS"])
    voila = proc_status(server.proc.pid)
    subs = store.submissions(session.code)
    by_name = {s.pseudonym: s for s in subs}
    lost, wrong = [], []
    for r in results:
        name = f"Participant {r['n']:02d} <b>"
        sub = by_name.get(name)
        if sub is None:
            lost.append(r["n"])
            continue
        if any(abs(sub.levers[k] - v) > 1e-9 for k, v in r["levers"].items()) or \
                not sub.text.startswith(f"Futur n° {r['n']} :"):
            wrong.append(r["n"])
    store.dispose()
    moves = [m for r in results for m in r["moves"]]
    last_page = max((r.get("page_at_s", 0) for r in results), default=0)
    gets = [r["get_s"] for r in results if "get_s" in r]
    out["participants"] = {
        "n": args.participants, **stats,
        "arrival_burst_s": last_page, "spread_s": args.spread,
        "page_get_s": summary(gets),
        "page_mb": summary([r["page_bytes"] / 2**20 for r in results if "page_bytes" in r]),
        "update_ms": summary([m["ms"] for m in moves]),
        "update_ms_arrival": summary([m["ms"] for m in moves if m["phase"] == "arrival"]),
        "update_ms_together": summary([m["ms"] for m in moves if m["phase"] == "together"]),
        "charts_patched_per_move": summary([m["charts"] for m in moves]),
        "join_ms": summary([r["join_ms"] for r in results if "join_ms" in r]),
        "submit_ms": summary([r["submit_ms"] for r in results if "submit_ms" in r]),
        "pages_without_app": [r["n"] for r in results if any(
            "no widget output" in e for e in r["errors"])],
        "submissions_stored": len(subs), "lost": lost, "stored_wrong": wrong,
        "participant_errors": {r["n"]: r["errors"] for r in results if r["errors"]},
        "kernel_stderr": {r["n"]: r["stderr"] for r in results if r.get("stderr")},
        "kernels_live": len(kernels),
        "participant_kernel_rss_mb": summary(part_rss),
        "participant_kernel_peak_rss_mb": summary(part_hwm),
        "other_kernels_rss_mb": summary(other_rss),
        "all_kernels_rss_total_mb": sum(part_rss) + sum(other_rss),
        "voila_rss_mb": voila.get("VmRSS"), "voila_peak_rss_mb": voila.get("VmHWM"),
    }


# -- what a kernel's memory is made of ----------------------------------------------------------

IMPORT_STEPS = r"""
import json, sys, time
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
steps = [("python", ""), ("ipykernel", "import ipykernel.kernelapp"), ("numpy", "import numpy"),
         ("pandas", "import pandas"), ("ipywidgets", "import ipywidgets"),
         ("bokeh", "import bokeh.plotting, bokeh.models, bokeh.resources"),
         ("jupyter_bokeh", "import jupyter_bokeh.widgets"), ("workbench", "import workbench"),
         ("workbench.app.atelier", "import workbench.app.atelier"),
         ("Atelier() built", "app = workbench.app.atelier.Atelier()"),
         ("workbench.store (on join)", "import workbench.store")]
out, prev = [], rss()
for name, code in steps:
    t = time.perf_counter(); exec(code); t = time.perf_counter() - t
    now = rss()
    out.append({"step": name, "rss_mb": now, "delta_mb": now - prev, "s": t})
    prev = now
print(json.dumps(out))
"""


def import_costs() -> list[dict]:
    r = subprocess.run([sys.executable, "-c", IMPORT_STEPS], cwd=REPO, capture_output=True,
                       text=True, timeout=120, env=code_env())
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else [
        {"step": "failed", "error": r.stderr[-500:]}]


# -- main -------------------------------------------------------------------------------------

def table(res: dict) -> list[tuple[str, str, str]]:
    rows, args = [], res["args"]
    lm = res.get("lever_move")
    if lm:
        f, d = lm["to_next_frame_ms"], lm["to_cards_dom_ms"]
        rows.append(("lever moved → every chart updated, Chromium (keydown → next frame after "
                     f"the cards change; {f['n']} moves)",
                     f"median {f['median']:.0f} ms, p95 {f['p95']:.0f} ms (DOM change: median "
                     f"{d['median']:.0f}, p95 {d['p95']:.0f} ms); charts repainted: "
                     f"{lm['canvases_repainted_median']:.0f} of {lm['canvases']} canvases "
                     f"(median), {lm['moves_with_no_repaint']} moves without repaint",
                     "≤ 150 ms median"))
    wl = res.get("warm_load")
    if wl:
        w = wl["wall_s"]
        rows.append((f"app ready in Chromium, pool full (goto → key figures + Bokeh canvas; "
                     f"{w['n']} loads)",
                     f"median {w['median']:.2f} s, max {w['max']:.2f} s", "≤ 2 s"))
    cl = res.get("cold_load")
    if cl:
        rows.append(("app ready, first load right after server start (pool still filling)",
                     f"{cl['wall_s']:.2f} s", "(no budget)"))
    p = res.get("participants")
    if p:
        ua, ut = p["update_ms_arrival"], p["update_ms_together"]
        how = ("all at once" if not p["spread_s"] else f"spread over {p['spread_s']:.0f} s")
        rows.append((f"{p['n']} participants arrive ({how}): page GETs",
                     f"last page after {p['arrival_burst_s']:.1f} s; GET median "
                     f"{p['page_get_s']['median']:.1f} s, p95 {p['page_get_s']['p95']:.1f} s, "
                     f"max {p['page_get_s']['max']:.1f} s; pool refilled after "
                     f"{p['pool_refilled_s']:.0f} s; page {p['page_mb']['median']:.1f} MB",
                     "app ready ≤ 2 s"))
        rows.append((f"{p['n']} participants: lever move → cards update received, right after "
                     "joining (others still arriving)",
                     f"p50 {ua['median']:.0f} ms, p95 {ua['p95']:.0f} ms ({ua['n']} moves)",
                     "≤ 150 ms median"))
        rows.append((f"{p['n']} participants: lever move → cards update received, all exploring "
                     f"together (a move every {args['think'][0]:g}–{args['think'][1]:g} s each)",
                     f"p50 {ut['median']:.0f} ms, p95 {ut['p95']:.0f} ms ({ut['n']} moves)",
                     "≤ 150 ms median"))
        r, h = p["participant_kernel_rss_mb"], p["participant_kernel_peak_rss_mb"]
        rows.append(("RSS per participant kernel after submitting",
                     f"median {r['median']:.0f} MB, max {r['max']:.0f} MB (peak VmHWM max "
                     f"{h['max']:.0f} MB)", "≤ 200 MB"))
        rows.append(("all kernels / Voilà server RSS",
                     f"{p['kernels_live']} kernels, {p['all_kernels_rss_total_mb'] / 1024:.1f} GB "
                     f"in all; Voilà {p['voila_rss_mb']:.0f} MB "
                     f"(peak {p['voila_peak_rss_mb']:.0f})",
                     "one 24 GB machine"))
        bad = p["pages_without_app"]
        rows.append(("pages served with the app in them (its widget output)",
                     f"{p['n'] - len(bad)} / {p['n']}" + (
                         f" — {len(bad)} pages without the app (Voilà: « Timeout waiting for "
                         "IOPub output »)" if bad else ""), "every page"))
        ok = not p["lost"] and not p["stored_wrong"] and p["submissions_stored"] == p["n"]
        rows.append(("submissions stored",
                     f"{p['submissions_stored']} / {p['n']}" + ("" if ok else
                     f" — lost {p['lost']}, wrong {p['stored_wrong']}"), "nothing lost"))
    return rows


def main() -> int:
    if "--arrivals" in sys.argv[1:]:  # the room's first minute: benchmarks/arrivals.py
        from arrivals import main as arrivals_main

        return arrivals_main(sys.argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--participants", type=int, default=50)
    ap.add_argument("--moves", type=int, default=40, help="keyboard lever moves in Chromium")
    ap.add_argument("--loads", type=int, default=5, help="page loads with a full pool")
    ap.add_argument("--arrival-moves", type=int, default=2,
                    help="lever moves per participant right after joining")
    ap.add_argument("--slider-moves", type=int, default=8,
                    help="lever moves per participant once everybody is in, all together")
    ap.add_argument("--think", type=float, nargs=2, default=(1.0, 4.0),
                    help="pause before each of those moves, s (uniform)")
    ap.add_argument("--spread", type=float, default=0.0,
                    help="participants arrive at random within this many s (0: all at once)")
    ap.add_argument("--timeout", type=float, default=240.0, help="any single wait, s")
    ap.add_argument("--burst-timeout", type=float, default=360.0)
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--logs", type=Path, help="copy the Voilà logs to this folder")
    ap.add_argument("--repo", type=Path, help="serve apps/ and import workbench from this "
                    "copy of the repository (e.g. a snapshot while others edit the checkout)")
    args = ap.parse_args()
    global REPO
    if args.repo:
        REPO = args.repo.resolve()
        sys.path.insert(0, str(REPO))  # workbench.store, for the session and the check
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import machine  # benchmarks/run.py

    res: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d"),
                 "args": {k: str(v) if isinstance(v, Path) else v
                          for k, v in vars(args).items()},
                 "repo": str(REPO)}
    try:
        res["commit"] = subprocess.run(["git", "-C", str(REPO), "describe", "--always",
                                        "--dirty"], capture_output=True, text=True,
                                       timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        res["commit"] = None
    servers: list[Voila] = []

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop_on_signal)
    t_start = time.perf_counter()
    failure = None
    with tempfile.TemporaryDirectory(prefix="fabrique-apps-bench-") as tmp:
        try:
            print("kernel memory, import by import …", flush=True)
            res["import_costs"] = import_costs()
            if not args.skip_browser:
                res["machine_before_browser"] = busy = machine_busy()
                print(f"browser: server 1 … (machine {busy['busy_pct']:.0f}% busy before)",
                      flush=True)
                s = Voila(Path(tmp) / "browser")
                servers.append(s)
                res["server_ready_s"] = s.wait_ready()
                try:
                    browser_part(s, args, res)
                finally:
                    res["browser_voila_errors"] = s.errors()[:20]
                    s.stop()
            res["machine_before_participants"] = busy = machine_busy()
            print(f"participants: server 2, {args.participants} participants … (machine "
                  f"{busy['busy_pct']:.0f}% busy before)", flush=True)
            s = Voila(Path(tmp) / "participants")
            servers.append(s)
            s.wait_ready()
            res["pool_started_s"] = s.wait_log(POOL_FILLED, 1, 180)
            res["pool_executed_s"] = res["pool_started_s"] + s.wait_quiet()
            print(f"  pool kernels started after {res['pool_started_s']:.1f} s, notebooks "
                  f"executed after {res['pool_executed_s']:.1f} s", flush=True)
            try:
                participants_part(s, args, res)
            finally:
                res["participants_voila_errors"] = s.errors()[:20]
                res["participants_voila_error_count"] = len(s.errors())
        except BaseException as exc:  # noqa: BLE001 — reported, then the servers are stopped
            failure = f"{type(exc).__name__}: {exc}"
            res["failure"] = failure
        finally:
            for s in servers:
                s.stop()
                if args.logs:
                    args.logs.mkdir(parents=True, exist_ok=True)
                    (args.logs / f"voila-{s.log.parent.name}.log").write_text(s.text())
            res["elapsed_s"] = time.perf_counter() - t_start
            for s in servers:
                if s.kernels():
                    res.setdefault("left_over_kernels", []).extend(s.kernels())

    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "apps.json").write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str))

    print(f"\nMachine: {res['machine']} — {res['date']}")
    for part in ("browser", "participants"):
        b = res.get(f"machine_before_{part}")
        if b:
            print(f"  before the {part} part: CPU {b['busy_pct']:.0f}% busy (other users "
                  f"included), load average {b['loadavg_1min']:.1f}")
    print()
    print("| what | measured | budget |\n|---|---|---|")
    for what, measured, budget in table(res):
        print(f"| {what} | {measured} | {budget} |")
    print("\nKernel memory, import by import (one process, cumulative):\n")
    print("| step | RSS | + | s |\n|---|---|---|---|")
    for st in res.get("import_costs", []):
        if "rss_mb" in st:
            print(f"| {st['step']} | {st['rss_mb']:.0f} MB | {st['delta_mb']:+.0f} MB "
                  f"| {st['s']:.2f} |")
    p = res.get("participants", {})
    for key in ("participant_errors", "kernel_stderr"):
        if p.get(key):
            print(f"\n{key}: {json.dumps(p[key], ensure_ascii=False)[:1500]}")
    for key in ("browser_voila_errors", "participants_voila_errors", "browser_page_errors"):
        if res.get(key):
            print(f"\n{key}:\n  " + "\n  ".join(res[key][:10]))
    if failure:
        print(f"\nFAILED: {failure}")
    print(f"\n(run took {res['elapsed_s']:.0f} s; details in benchmarks/results/apps.json)")
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
