"""The atelier in use, full app (every model, every chart): ``python benchmarks/apps.py
[--participants 50]``. With ``--arrivals N`` it is ``benchmarks/arrivals.py`` (the room's
first minute).

Starts the workshop server as ``make workshop`` does (the browser tests' harness,
``tests/browser/conftest.py``) with the room sized for the participants, waits for « salle
prête » (GET /fabrique/salle) and opens one workshop session. Then:

1. **a lever moved, alone in the room**: one real Chromium page (1366×768, a laptop) joins
   and moves levers with the keyboard, one step at a time, rotating over levers of each
   domain. The page itself times each move (see ``PROBE``): from the keydown until every
   figure that changes on screen has changed — the key-figure cards, and each Bokeh canvas
   in view (a pixel checksum, polled each animation frame for 2 s).
2. **the same, with the room exploring**: the other participants arrive over HTTP and the
   v1 kernel websocket (``tests/browser/kernel_ws.AtelierClient``), join, and move levers
   with 1–4 s of thought between moves, each move timed until the kernel has sent every
   update and is idle again; meanwhile the Chromium page repeats part 1.
3. **nothing lost**: everybody sends a future; the store must hold one per person; then
   the kernels alive and their memory.

A benchmark, not a test: the figures go in the README with the machine and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from arrivals import kernels_memory, pct  # noqa: E402

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    join,
    start_server,
    stop_server,
    wait_for_atelier,
    wait_until_ready,
)
from tests.browser.kernel_ws import AtelierClient  # noqa: E402

APP = "/voila/render/atelier.ipynb"
WATCH_S = 2  # the page watches a move's figures this long (PROBE's WATCH_MS)
# moved in turn by the Chromium page: demography (feeds every model), energy, mobility, land
BROWSER_LEVERS = ("net_migration", "building_renovation_rate", "car_modal_share_2030",
                  "housing_density")

# In the page, before each key press: __fab.arm(); the result is set in __fab.st.result
# once nothing on screen has changed for WATCH_MS (or the cards and every canvas in view
# have changed). Times are performance.now() ms, taken in animation frames: a change is
# counted in the first frame that shows it.
PROBE = r"""
window.__fab = (() => {
  const WATCH_MS = 2000;  // WATCH_S below
  // when the first kernel message arrives after the key press: the server's share of a
  // move (the page's WebSocket is wrapped before Voilà's scripts load)
  const NativeWebSocket = window.WebSocket;
  let onMessage = null;
  window.WebSocket = function (...args) {
    const ws = new NativeWebSocket(...args);
    ws.addEventListener('message', () => { if (onMessage) onMessage(performance.now()); });
    return ws;
  };
  window.WebSocket.prototype = NativeWebSocket.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'])
    window.WebSocket[k] = NativeWebSocket[k];
  const CARDS = '.fab-atelier .fab-cards';
  function canvasesInView() {   // Bokeh 3 draws inside shadow roots
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName === 'CANVAS' && el.width > 0 && el.height > 0) {
          const r = el.getBoundingClientRect();
          if (r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth
              && r.height > 0) out.push(el);
        }
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out;
  }
  function checksum(c) {
    const ctx = c.getContext('2d');
    if (!ctx) return -1;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0;
    return h;
  }
  const st = {result: null};
  function arm() {
    const cards = () => (document.querySelector(CARDS) || {}).textContent;
    const before = cards();
    const shown = canvasesInView();
    const sums = shown.map(checksum);
    const changedAt = shown.map(() => null);
    let tKey = null, tCards = null, tMessage = null;
    onMessage = (t) => { if (tKey !== null && tMessage === null) tMessage = t; };
    st.result = null;
    document.addEventListener('keydown', () => {
      if (tKey === null) tKey = performance.now();
    }, {capture: true, once: true});
    function frame(now) {
      if (tKey === null) { requestAnimationFrame(frame); return; }
      if (tCards === null && cards() !== before) tCards = now;
      shown.forEach((c, i) => {
        if (changedAt[i] === null && checksum(c) !== sums[i]) changedAt[i] = now;
      });
      const all = tCards !== null && changedAt.every((t) => t !== null);
      if (!all && now - tKey < WATCH_MS) { requestAnimationFrame(frame); return; }
      const times = [tCards, ...changedAt].filter((t) => t !== null);
      onMessage = null;
      st.result = {cards_ms: tCards === null ? null : tCards - tKey,
                   first_message_ms: tMessage === null ? null : tMessage - tKey,
                   all_ms: times.length ? Math.max(...times) - tKey : null,
                   canvases_in_view: shown.length,
                   canvases_changed: changedAt.filter((t) => t !== null).length};
    }
    requestAnimationFrame(frame);
  }
  return {arm, st};
})();
"""


def summary(values: list[float], beyond: int = 0) -> dict:
    """n, p50, p95, max; ``beyond`` more values were not seen within the watch (WATCH_S):
    they count as longer than any, and a percentile that falls on them is None."""
    every = sorted(values) + [math.inf] * beyond
    if not every:
        return {"n": 0}

    def at(q: float):
        v = pct(every, q)
        return None if math.isinf(v) else round(v, 1)

    return {"n": len(every), "p50": at(50), "p95": at(95), "max": at(100), "beyond": beyond}


def ms(v) -> str:
    return f"> {WATCH_S:g} s" if v is None else f"{v:.0f} ms"


class Room:
    """What the Chromium thread and the simulated participants tell each other."""

    def __init__(self, others: int) -> None:
        self.chromium_alone_done = threading.Event()
        self.everybody_in = threading.Event()  # every simulated participant has joined
        self.chromium_done = threading.Event()
        self.failed = threading.Event()
        self._waiting, self._lock = others, threading.Lock()
        if others <= 0:
            self.everybody_in.set()

    def joined_one(self) -> None:
        with self._lock:
            self._waiting -= 1
            if self._waiting <= 0:
                self.everybody_in.set()


def chromium(url: str, code: str, moves: int, room: Room, out: dict, server) -> None:
    """One real participant in Chromium: lever moves timed by the page, alone, then with the
    room exploring; then the future is sent."""
    from playwright.sync_api import sync_playwright

    def measure(page, n: int) -> dict:
        runs, no_change = [], 0
        for i in range(n + 2):  # two warm-up moves on the first lever
            lever = BROWSER_LEVERS[0 if i < 2 else (i - 2) % len(BROWSER_LEVERS)]
            page.locator(f".fab-slider-{lever} .noUi-handle").focus()
            page.wait_for_timeout(300)  # the focus scrolled the page: let it settle
            page.evaluate("window.__fab.arm()")
            # up and down in turn, so the value stays within one step of the trend
            page.keyboard.press("ArrowRight" if (i // len(BROWSER_LEVERS)) % 2 == 0
                                else "ArrowLeft")
            page.wait_for_function("() => window.__fab.st.result", timeout=30_000,
                                   polling=100)
            r = page.evaluate("window.__fab.st.result")
            if i < 2:
                continue
            if r["all_ms"] is None or r["cards_ms"] is None:
                no_change += 1
                continue
            runs.append({"lever": lever, **r})
            page.wait_for_timeout(400)  # a person does not press keys without looking
        alls = [r["all_ms"] for r in runs]
        return {"all_ms": summary(alls, no_change),
                "cards_ms": summary([r["cards_ms"] for r in runs], no_change),
                "first_message_ms": summary([r["first_message_ms"] for r in runs
                                             if r["first_message_ms"] is not None]),
                "moves_with_no_change_seen": no_change,
                "canvases_in_view": summary([r["canvases_in_view"] for r in runs]),
                "canvases_changed": summary([r["canvases_changed"] for r in runs]),
                "by_lever_p50_ms": {lv: round(statistics.median(
                    [r["all_ms"] for r in runs if r["lever"] == lv]), 1)
                    for lv in BROWSER_LEVERS if any(r["lever"] == lv for r in runs)},
                "runs": runs}

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
            ctx.add_init_script(PROBE)
            page = ctx.new_page()
            page.goto(f"{url}{APP}?atelier={code}", wait_until="commit")
            wait_for_atelier(page, server, timeout=120_000)
            page.wait_for_selector(".fab-atelier .bk-Canvas, .fab-atelier canvas",
                                   timeout=60_000)
            join(page, "Chromium")
            out["alone"] = measure(page, moves)
            room.chromium_alone_done.set()
            while not room.everybody_in.is_set() and not room.failed.is_set():
                page.wait_for_timeout(200)  # not time.sleep: Playwright relays while called
            out["room_exploring"] = measure(page, moves)
            room.chromium_done.set()
            page.locator(".fab-text textarea").fill("Le futur de la page Chromium.")
            page.locator(".fab-submit").click()
            page.wait_for_selector("text=Merci", timeout=60_000)
            browser.close()
    except BaseException as exc:  # noqa: BLE001 — reported, and the room is told
        out["error"] = f"{type(exc).__name__}: {exc}"
        room.failed.set()
    finally:
        room.chromium_alone_done.set()
        room.chromium_done.set()


async def participant(url: str, code: str, i: int, delay: float, think: tuple[float, float],
                      room: Room, rng: random.Random) -> dict:
    """One simulated participant: arrive, join, explore until the Chromium page is done
    (four moves at least), write, send."""
    client = AtelierClient(url)
    moves: list[float] = []
    counted = False  # in the room's count of arrivals, joined or failed
    try:
        await asyncio.sleep(delay)
        await client.open(timeout=180)
        await client.set(client.widget("fab-join-code"), code)
        await client.set(client.widget("fab-join-pseudonyme"), f"Banc {i:03d}")
        shown = await client.click("fab-join-button")
        if "Bienvenue" not in shown:
            return {"ok": False, "why": f"join: {shown[:200]}"}
        sliders = sorted(client.sliders().items())
        room.joined_one()
        counted = True
        while len(moves) < 4 or not room.chromium_done.is_set():
            await asyncio.sleep(rng.uniform(*think))
            _, s = rng.choice(sliders)
            steps = rng.choice((-2, -1, 1, 2))
            value = min(s["max"], max(s["min"], round(s["value"] + steps * s["step"], 6)))
            t0 = time.perf_counter()
            await client.set(s["comm_id"], value)
            moves.append((time.perf_counter() - t0) * 1000)
            s["value"] = value
        await client.set(client.widget("fab-text"), f"Le futur n° {i} du banc d'essai.")
        sent = await client.click("fab-submit", timeout=120)
        return {"ok": "Merci" in sent, "why": sent[:200], "moves_ms": moves}
    except Exception as exc:  # noqa: BLE001 — counted as lost, with its reason
        return {"ok": False, "why": f"{type(exc).__name__}: {exc}", "moves_ms": moves}
    finally:
        if not counted:  # the Chromium page does not wait for it
            room.joined_one()
        await client.close()


def run(participants: int, moves: int, window: float, think: tuple[float, float]) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="fabrique-apps-"))
    server = start_server(tmp, participants)
    res: dict = {"date": date.today().isoformat(),
                 "machine": f"{platform.processor() or platform.machine()}, "
                            f"{os.cpu_count()} cores",
                 "participants": participants}
    try:
        t0 = time.perf_counter()
        wait_until_ready(server, timeout=1800)
        res["room_fill_s"] = round(time.perf_counter() - t0, 1)
        code = server.store().create_session("Banc d'essai des apps").code
        others = participants - 1
        room = Room(others)
        browser_out: dict = {}
        th = threading.Thread(target=chromium,
                              args=(server.url, code, moves, room, browser_out, server))
        th.start()
        room.chromium_alone_done.wait(900)
        rng = random.Random(2030)
        delays = sorted(rng.uniform(0, window) for _ in range(others))

        async def everybody():
            return await asyncio.gather(*(participant(server.url, code, i, d, think, room,
                                                      random.Random(i))
                                          for i, d in enumerate(delays)))

        t1 = time.perf_counter()
        results = asyncio.run(everybody()) if others else []
        # a participant that failed before joining never counted itself in
        room.everybody_in.set()
        th.join(600)
        res["room_part_s"] = round(time.perf_counter() - t1, 1)
        res["chromium"] = browser_out
        all_moves = [m for r in results for m in r.get("moves_ms", [])]
        res["simulated"] = {"moves_ms": summary(all_moves),
                            "failed": [r["why"] for r in results if not r["ok"]]}
        stored = server.store().submissions(code)
        people = {s.pseudonym for s in stored}
        res["stored"] = {"futures": len(stored), "people": len(people),
                         "expected": participants - len(res["simulated"]["failed"])
                         - (1 if "error" in browser_out else 0)}
        n, mb = kernels_memory(server)
        res["kernels_alive"], res["kernels_memory_mb"] = n, round(mb)
        res["kernel_mean_mb"] = round(mb / max(1, n))
    finally:
        stop_server(server)
    return res


def table(res: dict) -> list[tuple[str, str, str]]:
    c = res.get("chromium", {})
    rows = []
    for key, what in (("alone", "lever moved → every figure in view updated, Chromium, "
                                "alone in the room"),
                      ("room_exploring", f"the same while {res['participants'] - 1} others "
                                         "explore")):
        a = c.get(key, {}).get("all_ms", {})
        if a.get("n"):
            rows.append((what, f"p50 {ms(a['p50'])}, p95 {ms(a['p95'])} ({a['n']} moves, "
                               f"{a['beyond']} not shown within {WATCH_S:g} s)",
                         "≤ 100 ms median"))
    s = res["simulated"]["moves_ms"]
    if s.get("n"):
        rows.append(("simulated participants: move → every update received",
                     f"p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms, max {s['max']:.0f} ms "
                     f"({s['n']} moves)", ""))
    st = res["stored"]
    rows.append(("futures stored / people", f"{st['futures']} / {st['people']} "
                 f"(expected {st['expected']})", "nothing lost"))
    rows.append(("kernels alive / mean memory",
                 f"{res['kernels_alive']} / {res['kernel_mean_mb']} MB", "≤ 150 MB each"))
    return rows


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--arrivals" in argv:  # the room's first minute
        from arrivals import main as arrivals_main

        return arrivals_main(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--participants", type=int, default=50, help="the room's size")
    ap.add_argument("--moves", type=int, default=32, help="timed key presses in Chromium, "
                    "alone and again with the room")
    ap.add_argument("--window", type=float, default=10.0, help="arrivals spread over, s")
    ap.add_argument("--think", type=float, nargs=2, default=(1.0, 4.0),
                    help="pause before each simulated move, s (uniform)")
    args = ap.parse_args(argv)
    res = run(args.participants, args.moves, args.window, tuple(args.think))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "apps.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    print(f"{res['machine']} — {res['date']}; room filled in {res['room_fill_s']} s\n")
    print("| what | measured | budget |\n|---|---|---|")
    for row in table(res):
        print("| " + " | ".join(row) + " |")
    c = res.get("chromium", {})
    for key in ("alone", "room_exploring"):
        if key in c:
            m = c[key]["first_message_ms"]
            if m.get("n"):
                print(f"\n{key}: key press → the kernel's first message back (its busy "
                      f"status or echo, before any computation): p50 {m['p50']:.0f} ms, "
                      f"p95 {m['p95']:.0f} ms")
            print(f"{key}: median by lever {c[key]['by_lever_p50_ms']} ms; canvases in "
                  f"view {c[key]['canvases_in_view']}, changed {c[key]['canvases_changed']}; "
                  f"moves with no change seen: {c[key]['moves_with_no_change_seen']}")
    if c.get("error") or res["simulated"]["failed"]:
        print("\nFAILED:", c.get("error"), res["simulated"]["failed"][:5])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
