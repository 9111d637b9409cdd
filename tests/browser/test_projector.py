"""The Plénière's projector mode in a real Chromium at 1920×1080, on a session of 50 futures
(issue 12, item 6): each view fits one screen (the page never scrolls; only the list of
futures scrolls, inside its box), its body text is 28 px or more, the panel's choices come
by pages of levers, a presenter's clicker (Page suivante) moves through the views, and
« Quitter le mode projecteur » gives the desk back."""

from __future__ import annotations

import workbench as wb
from workbench.app.projector import VIEWS
from workbench.sample_panel import sample_panel

APP = "/voila/render/pleniere.ipynb"
BODY_PX = 28  # body text on the projected screen
SMALL_PX = 22  # secondary text: units, years, dates under a name

# every visible text of the shown view, with its size; and the boxes that scroll
MEASURE = """() => {
  const root = document.querySelector('.fab-pleniere');
  const texts = [], scrollers = [], outside = [];
  for (const el of root.querySelectorAll('*')) {
    if (el.closest('svg, .fab-projector-bar, .bk-Canvas, .fab-spotlight')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const cs = getComputedStyle(el);
    if (own && cs.visibility !== 'hidden') {
      // secondary: units, years, captions, and the facilitator's controls
      const small = !!el.closest('.fab-unit, .fab-delta, .fab-year, .fab-code-label, '
                                 + '.fab-qr, .fab-legend, button, select, input, label');
      texts.push([el.tagName + '.' + String(el.className).slice(0, 40),
                  el.textContent.trim().slice(0, 30), parseFloat(cs.fontSize), small]);
      // shown whole on the screen, unless in the one box that scrolls
      if (!el.closest('.fab-sub-list') && (r.bottom > innerHeight + 1 || r.right > innerWidth + 1
                                           || r.left < -1))
        outside.push([el.textContent.trim().slice(0, 30), Math.round(r.bottom),
                      Math.round(r.right)]);
    }
    if (/(auto|scroll)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 2)
      scrollers.push(String(el.className).split(' ').filter(c => c.startsWith('fab-') ||
                     c.startsWith('widget-')).join(' ') + ` ${el.scrollHeight}>${el.clientHeight}`);
  }
  const d = document.documentElement;
  return {texts, scrollers, outside, height: d.scrollHeight, width: d.scrollWidth,
          view: [...root.classList].find(c => c.startsWith('fab-show-'))};
}"""


def families_session(store):
    """Twelve futures of three kinds (the seniors at home, less car, solar), each person a
    little apart from the others of their kind."""
    import uuid

    registry = wb.Engine().levers
    session = store.create_session("Familles de futurs")
    kinds = ({"home_care_share": 80, "digital_mediation": 1500},
             {"car_modal_share_2030": 38, "remote_work_days": 1.5},
             {"solar_pv_2030": 250, "building_renovation_rate": 2500})
    for i in range(12):
        values = registry.trend_values()
        values.update(kinds[i % 3])
        first = next(iter(kinds[i % 3]))
        values[first] += registry[first].step * (i % 2)
        store.submit(session.code, f"Personne {i + 1}", values, "Mon futur.",
                     share_code="F1test", model_version=wb.__version__,
                     territory="grand-chambery", key=uuid.uuid4().hex,
                     participant=f"famille-{i:02d}")
    return session


def _select(page, session) -> None:
    """Choose ``session`` in the desk's list of sessions."""
    choice = page.locator(".fab-session-choice select")
    label = next(o for o in choice.locator("option").all_inner_texts()
                 if session.display_code in o)
    choice.select_option(label=label)


def _check_view(page, view: str) -> None:
    m = page.evaluate(MEASURE)
    page.screenshot(path=f"/tmp/projector-{view}.png")
    assert m["view"] == f"fab-show-{view}", m["view"]
    assert m["height"] <= 1080 + 1 and m["width"] <= 1920 + 1, (view, m["height"], m["width"])
    small = [t for t in m["texts"] if t[2] < (SMALL_PX if t[3] else BODY_PX)]
    assert not small, (view, small)
    assert m["texts"], f"{view}: no text shown"
    assert not m["outside"], (view, m["outside"][:8])  # nothing off the screen or cut
    boxes = [c for c in m["scrollers"] if "fab-sub-list" not in c]
    assert not boxes, (view, boxes)  # only the list of futures scrolls, in its box


def test_each_view_fits_one_projected_screen_in_large_type(browser, voila_server, token):
    store = voila_server.store()
    session = sample_panel(store, wb.Engine().levers, title="Projection de décembre")
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    try:
        page = ctx.new_page()
        page.goto(f"{voila_server.url}{APP}?jeton={token}", timeout=120_000)
        page.wait_for_selector(".fab-session-choice select", timeout=60_000)
        _select(page, session)
        page.wait_for_function("() => document.querySelector('.fab-counter [data-count]')"
                               "?.dataset.count === '50'", timeout=60_000)
        for box in page.locator(".fab-compare-check input").all()[:3]:  # three compared
            box.check()
        page.wait_for_function("() => document.querySelectorAll('.fab-compare-grid svg')"
                               ".length > 0", timeout=60_000)
        page.wait_for_selector(".fab-families-box p", timeout=60_000)  # random: no families
        page.locator(".fab-projector-enter").click()
        page.wait_for_selector(".fab-pleniere.fab-projector.fab-show-rejoindre",
                               timeout=20_000)
        assert page.locator(".fab-session-title-input").is_hidden()  # the desk's tools off
        nav = page.locator(".fab-projector-nav button")
        assert [b.inner_text().strip() for b in nav.all()] == [label for _, label in VIEWS]
        for i, (view, _label) in enumerate(VIEWS):
            if i:  # the bar and, every other view, the presenter's clicker
                if i % 2:
                    page.keyboard.press("PageDown")
                else:
                    nav.nth(i).click()
                page.wait_for_selector(f".fab-pleniere.fab-show-{view}", timeout=20_000)
            if view == "futurs":
                rows = page.locator(".fab-sub")
                assert rows.count() == 50
                page.screenshot(path="/tmp/projector-futurs.png")
                h = rows.first.evaluate("e => e.getBoundingClientRect().height")
                assert h >= 2 * BODY_PX, h  # readable rows, not squashed
            if view == "vote":  # with the vote open, its tally theme by theme
                page.locator(".fab-vote-open").click()
                page.wait_for_selector(".fab-vote-table tbody tr", timeout=20_000)
            if view == "choix":
                page.wait_for_function(
                    "() => { const c = document.querySelector('.fab-panel-chart');"
                    " return c && c.getBoundingClientRect().height < 1000; }", timeout=20_000)
                label0 = page.inner_text(".fab-page-label")
                assert "Curseurs 1 à 8 sur 31" in label0, label0
            _check_view(page, view)
        # the panel's choices, page by page: every lever on some page, each page one screen
        page.locator(".fab-projector-nav button", has_text="Choix du panel").click()
        seen = []
        for n in range(2, 5):
            page.locator(".fab-page-next").click()
            page.wait_for_selector(f'.fab-page-label [data-page="{n}"]', timeout=20_000)
            seen.append(page.inner_text(".fab-page-label"))
            _check_view(page, "choix")
        assert "Curseurs 25 à 31 sur 31" in seen[-1], seen
        page.keyboard.press("PageUp")
        page.wait_for_selector(".fab-pleniere.fab-show-objectifs", timeout=20_000)
        page.locator(".fab-projector-leave").click()
        page.wait_for_function("() => !document.querySelector('.fab-pleniere')"
                               ".classList.contains('fab-projector')", timeout=20_000)
        assert page.locator(".fab-session-title-input").is_visible()
        assert page.locator(".fab-export").is_visible()  # the desk has every part again
        page.wait_for_function(  # and the whole chart of 31 levers
            "() => document.querySelector('.fab-panel-chart')"
            ".getBoundingClientRect().height > 2000", timeout=20_000)
        # a session whose futures form families: the view of the families fits too
        grouped = families_session(store)
        page.goto(f"{voila_server.url}{APP}?jeton={token}", timeout=120_000)  # in the list
        page.wait_for_selector(".fab-session-choice select", timeout=60_000)
        _select(page, grouped)
        page.wait_for_selector(".fab-families .fab-family", timeout=60_000)
        page.locator(".fab-projector-enter").click()
        page.locator(".fab-projector-nav button", has_text="Familles").click()
        page.wait_for_selector(".fab-pleniere.fab-show-familles", timeout=20_000)
        assert 3 <= page.locator(".fab-family").count() <= 5
        _check_view(page, "familles")
    finally:
        ctx.close()
