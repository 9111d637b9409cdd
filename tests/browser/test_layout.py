"""The atelier's layout in real Chromium (issue 12, item 3): results in view while the levers
scroll, on a laptop and on a phone; touch targets of 44 px; nothing wider than a phone."""

from __future__ import annotations

import pytest

from .conftest import wait_for_atelier

APP = "/voila/render/atelier.ipynb"
PHONES = {"360": {"width": 360, "height": 740}, "390": {"width": 390, "height": 844}}

# Every visible element of the page that leaves the viewport sideways, and the page's width.
OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('.fab2030, .fab2030 *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > vw + 0.5 || r.left < -0.5)
      out.push(`${el.tagName}.${String(el.className).slice(0, 50)} ${Math.round(r.left)}..` +
               `${Math.round(r.right)}`);
  }
  return {vw, scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 10)};
}"""

# Buttons, fields and lists smaller than 44 × 44 px (WCAG 2.5.5), and for each of the first
# slider handles whether a touch 20 px from its centre still lands on it.
TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll(
      '.fab-atelier button, .fab-atelier input, .fab-atelier select')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;  // hidden (a folded section)
    if (r.height < 43.5 || r.width < 43.5)
      small.push(`${el.tagName} "${(el.innerText || el.placeholder || '').slice(0, 30)}" ` +
                 `${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  const handles = [];
  for (const h of Array.from(document.querySelectorAll('.fab-atelier .noUi-handle')).slice(0, 3)) {
    h.scrollIntoView({block: 'center'});
    const r = h.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    handles.push([[x - 20, y], [x + 20, y], [x, y - 20], [x, y + 20]].every(
      ([px, py]) => h.contains(document.elementFromPoint(px, py))));
  }
  return {small: small.slice(0, 10), handles};
}"""

IN_VIEW = """(css) => {
  const el = document.querySelector(css);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, height: r.height, vh: innerHeight};
}"""


def open_atelier(browser, server, viewport: dict, phone: bool):
    ctx = browser.new_context(viewport=viewport, locale="fr-FR", is_mobile=phone,
                              has_touch=phone, device_scale_factor=2 if phone else 1)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.goto(server.url + APP)
    wait_for_atelier(page, server)
    return ctx, page


def move(page, lever: str, key: str = "ArrowRight") -> None:
    page.locator(f".fab-slider-{lever} .noUi-handle").focus()
    page.keyboard.press(key)


@pytest.mark.parametrize("size", sorted(PHONES))
def test_a_phone_shows_results_while_the_levers_scroll(browser, voila_server, size):
    viewport = PHONES[size]
    ctx, page = open_atelier(browser, voila_server, viewport, phone=True)
    try:
        o = page.evaluate(OVERFLOW)
        assert o["scrollWidth"] <= o["vw"] and not o["out"], o
        helps = page.evaluate("""() => Array.from(document.querySelectorAll(
            '.fab-help-button')).filter((b) => b.getBoundingClientRect().width > 0).map((b) => {
              const r = b.getBoundingClientRect(); return [r.left, r.right]; })""")
        assert len(helps) >= 15 and all(0 <= left and right <= viewport["width"]
                                        for left, right in helps), helps
        t = page.evaluate(TARGETS)
        assert not t["small"], t["small"]
        assert t["handles"] == [True, True, True], "a touch next to a handle misses it"
        assert "monospace" not in page.evaluate(
            "getComputedStyle(document.querySelector('.fab-text textarea')).fontFamily")

        # the « ? » opens its help in place: nothing moves sideways
        page.locator(".fab-lever-car_modal_share_2030 .fab-help-button").first.tap()
        page.wait_for_selector(".fab-lever-car_modal_share_2030 .fab-help", state="visible")
        o = page.evaluate(OVERFLOW)
        assert o["scrollWidth"] <= o["vw"] and not o["out"], o
        assert page.evaluate("scrollX") == 0

        # the bar at the bottom shows what the last move changed, where the thumb is
        bar = page.locator(".fab-bar")
        before = bar.inner_text()
        move(page, "housing_density")
        page.wait_for_function("(b) => document.querySelector('.fab-bar').innerText !== b",
                               arg=before, timeout=30_000)
        assert page.locator(".fab-bar [data-variable='Land Use|NAF Consumption']").count() == 1
        box = page.evaluate(IN_VIEW, ".fab-bar")
        assert box["height"] > 0 and abs(box["bottom"] - box["vh"]) <= 1, box
        assert box["height"] <= 0.3 * box["vh"], "the bar hides too much of the levers"
        o = page.evaluate(OVERFLOW)
        assert not o["out"], o
        # a lever that moves no figure shown says, in the bar, what it acts on; the bar
        # still leaves the levers in view
        move(page, "renaturation")
        page.wait_for_selector(".fab-bar .fab-bar-elsewhere", timeout=30_000)
        assert "ce levier agit sur" in page.inner_text(".fab-bar-elsewhere")
        box = page.evaluate(IN_VIEW, ".fab-bar")
        assert box["height"] <= 0.3 * box["vh"], "the bar hides too much of the levers"
        o = page.evaluate(OVERFLOW)
        assert o["scrollWidth"] <= o["vw"] and not o["out"], o
        # its link leads to every figure and chart
        page.locator(".fab-bar-open").tap()
        page.wait_for_function(f"() => {{ const r = ({IN_VIEW})('#fab-resultats');"
                               "return r && r.top > -2 && r.top < innerHeight / 2; }",
                               timeout=10_000)
    finally:
        ctx.close()


def test_a_laptop_keeps_the_key_figures_in_view_while_the_levers_scroll(browser, voila_server):
    ctx, page = open_atelier(browser, voila_server, {"width": 1366, "height": 768}, phone=False)
    try:
        population = ".fab-kf[data-variable='Population']"
        # the last lever of the column: the page scrolls far down to reach it
        page.locator(".fab-levers .noUi-handle:visible").last.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)  # the focus scrolled the page
        # how far the page scrolled (Voilà's lab template scrolls a panel, not the document)
        scrolled = page.evaluate("""() => { let el = document.querySelector('.fab-levers');
            for (; el; el = el.parentElement) if (el.scrollTop > 0) return el.scrollTop;
            return scrollY; }""")
        assert scrolled > 800
        box = page.evaluate(IN_VIEW, population)
        assert box and box["top"] >= 0 and box["bottom"] <= box["vh"], box
        assert page.evaluate(IN_VIEW, ".fab-bar")["height"] == 0  # the phone's bar is hidden
        o = page.evaluate(OVERFLOW)
        assert o["scrollWidth"] <= o["vw"] and not o["out"], o
    finally:
        ctx.close()
