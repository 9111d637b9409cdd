"""The reference-scenarios page (apps/scenarios-2030.ipynb) in a real browser, served the way
`make workshop` serves it: French content, no traceback, nothing asked of the internet, no
code in the page source, and no code execution for a participant."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from . import kernel_ws
from .conftest import REPO

APP = "/voila/render/scenarios-2030.ipynb"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOT = "/tmp/overview.png"
SCREENSHOT_NARROW = "/tmp/overview-narrow.png"
TITLES = ["Tendanciel", "Attractivité et croissance", "Bien vieillir, sobriété et proximité"]


def normalise(text: str) -> str:
    """French numbers use a narrow no-break space (U+202F) or a no-break space (U+00A0)."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def external(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return False
    return parsed.hostname not in LOCAL_HOSTS


def test_overview_page_in_browser(context, voila_server):
    page = context.new_page()
    requests: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("websocket", lambda ws: requests.append(ws.url))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))

    page.goto(voila_server.url + APP, wait_until="domcontentloaded")
    page.wait_for_selector(".fab2030 .fab-card", state="visible")
    page.wait_for_load_state("networkidle")

    text = normalise(page.inner_text("body"))
    assert "Fabrique 2030 — les futurs de référence en 2030" in text
    for title in TITLES:
        assert page.locator(".fab-card h2", has_text=title).count() == 1, title
    assert page.locator(".fab-card").count() == 3
    assert "139 738" in text  # Population 2021, French digit grouping
    assert re.search(r"\d+,\d %", text), "percentages with a decimal comma"
    for word in ("Traceback", "Error", "error", "Exception"):
        assert word not in text, (word, voila_server.log_tail())
    assert page.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert page.locator("html").get_attribute("lang") == "fr"

    # Font Awesome used to come from cdn.jsdelivr.net (Voilà's lab template); the repo's
    # "fabrique" template drops those links, the same CSS being bundled in voila-style.js.
    outside = sorted({u for u in requests if external(u)})
    assert not outside, f"requests to other hosts: {outside}"
    assert not failed, failed
    assert any(u.endswith("/voila/static/voila.js") for u in requests)

    # Wide screen: cards side by side; phone: one column, no horizontal scrolling.
    def card_columns() -> int:
        return len({round(b["x"]) for b in (c.bounding_box()
                                            for c in page.locator(".fab-card").all())})

    def shoot(width: int, path: str) -> None:
        # the page scrolls inside Voilà's container, not the document, and a screenshot
        # only holds what is rendered: make the viewport as tall as the app
        page.set_viewport_size({"width": width, "height": 900})
        height = page.evaluate("document.querySelector('.fab2030').scrollHeight")
        page.set_viewport_size({"width": width, "height": min(int(height) + 80, 6000)})
        page.screenshot(path=path)

    assert card_columns() > 1
    shoot(1280, SCREENSHOT)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")
    assert card_columns() == 1
    shoot(390, SCREENSHOT_NARROW)


def test_page_source_has_no_code(voila_server):
    """strip_sources: the served HTML holds the outputs, not the notebook's code."""
    with urllib.request.urlopen(voila_server.url + APP, timeout=60) as r:
        html = r.read().decode("utf-8")
    assert "application/vnd.jupyter.widget-view+json" in html  # the output is there…
    for code in ("reference_overview", "workbench.app", "display("):
        assert code not in html, code  # …not the code


def test_config_keeps_standalone_safe_mode():
    """voila.json: no tracebacks, sources stripped, the offline template; the workshop runs
    the standalone app (which refuses execute requests), not the JupyterLab extension."""
    conf = json.loads((REPO / "voila.json").read_text(encoding="utf-8"))["VoilaConfiguration"]
    assert conf.get("show_tracebacks", False) is False
    assert conf.get("strip_sources", True) is True
    assert conf["template"] == "fabrique"
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"-m workbench\.server apps/ .*--Voila\.port_retries=0",
                     makefile.replace("\\\n", " "))
    # `python -m voila` run from the repository root imports ./voila.py as the voila package:
    # a voila.py config file there would silently stop the server.
    assert not (REPO / "voila.py").exists()


def test_standalone_server_refuses_execute_requests(voila_server, tmp_path):
    """A participant's browser holds a kernel websocket; an execute_request sent on it must
    be dropped (comm and kernel_info messages only), so typed code never runs."""
    with urllib.request.urlopen(voila_server.url + APP, timeout=60) as r:
        html = r.read().decode("utf-8")
    kernel_id = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', html).group(1)
    proof = tmp_path / "executed"

    async def probe() -> list[str]:
        conn = await kernel_ws.connect(voila_server.url, kernel_id)
        code = f"open({str(proof)!r}, 'w').write('x')"
        execute = kernel_ws.message("execute_request", {
            "code": code, "silent": False, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        info = kernel_ws.message("kernel_info_request", {})
        await conn.write_message(kernel_ws.encode(execute), binary=True)
        await conn.write_message(kernel_ws.encode(info), binary=True)
        seen = []
        deadline = asyncio.get_running_loop().time() + 15
        while asyncio.get_running_loop().time() < deadline:
            raw = await asyncio.wait_for(conn.read_message(), 15)
            if raw is None:
                break
            if not isinstance(raw, bytes):
                continue
            _, reply = kernel_ws.decode(raw)
            seen.append(reply["header"]["msg_type"])
            if reply.get("parent_header", {}).get("msg_id") == info["header"]["msg_id"] and \
                    reply["header"]["msg_type"] == "kernel_info_reply":
                break
        conn.close()
        return seen

    # in a thread: Playwright's sync API may be running an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(lambda: asyncio.run(probe())).result(timeout=30)
    assert "kernel_info_reply" in seen, seen  # the channel works…
    assert "execute_reply" not in seen and "execute_input" not in seen, seen  # …execute doesn't
    assert not proof.exists()
    assert "execute_request" in voila_server.log_tail(200)  # "…which is not allowed. Ignoring."
