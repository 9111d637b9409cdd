"""What assistive technology gets from the atelier (issue 12, item 9), in real Chromium."""

from __future__ import annotations

import pytest

from .conftest import join, wait_for_atelier

APP = "/voila/render/atelier.ipynb"
PLENIERE = "/voila/render/pleniere.ipynb"
# axe-core's WCAG 2.1 A and AA rules and its best practices
AXE_RULES = {"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
             "resultTypes": ["violations"]}


def serious_findings(page) -> list[str]:
    """What axe-core (the copy in axe-playwright-python) finds serious or critical here."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=AXE_RULES).response["violations"]
    return [f"{v['impact']} {v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768},
                                      {"width": 390, "height": 844}], ids=["laptop", "phone"])
def test_axe_finds_nothing_serious_in_the_atelier(browser, voila_server, viewport):
    ctx = browser.new_context(viewport=viewport, locale="fr-FR")
    try:
        page = ctx.new_page()
        page.goto(voila_server.url + APP)
        wait_for_atelier(page, voila_server)
        page.wait_for_selector(".fab-atelier .bk-Canvas, .fab-atelier canvas", timeout=60_000)
        page.locator(".fab-lever-home_care_share .fab-help-button").first.click()  # a help open
        page.wait_for_selector(".fab-lever-home_care_share .fab-help", state="visible")
        assert serious_findings(page) == []
    finally:
        ctx.close()


def test_axe_finds_nothing_serious_in_the_pleniere(context, voila_server, token):
    page = context.new_page()
    page.goto(f"{voila_server.url}{PLENIERE}?jeton={token}", timeout=120_000)
    page.wait_for_selector(".fab-session-title-input input", timeout=60_000)
    page.locator(".fab-session-title-input input").fill("Atelier accessible")
    page.locator(".fab-open").click()
    page.wait_for_selector(".fab-close", state="visible", timeout=30_000)
    assert serious_findings(page) == []


def test_axe_finds_nothing_serious_in_an_open_vote_and_a_running_timer(browser, voila_server):
    """The parts that appear during a session: the vote on the consensus (radio groups,
    theme by theme) and the facilitator's countdown, on a phone."""
    import uuid

    import workbench as wb

    store = voila_server.store()
    session = store.create_session("Vote accessible")
    registry = wb.Engine().levers
    values = registry.trend_values()
    values.update(home_care_share=80, solar_pv_2030=250)
    store.submit(session.code, "Zoé", values, "Mon futur.", share_code="F1test",
                 model_version=wb.__version__, territory="grand-chambery",
                 key=uuid.uuid4().hex, participant="a11y-zoe-0001")
    from workbench.panel import ballot_themes
    from workbench.scenario import share_code

    code = share_code(wb.Scenario(name="consensus", levers=values), registry)
    store.open_ballot(session.code, code, ballot_themes(values, registry))
    store.start_phase(session.code, "Voter sur le consensus", 600)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    try:
        page = ctx.new_page()
        page.goto(f"{voila_server.url}{APP}?atelier={session.code}")
        wait_for_atelier(page, voila_server)
        join(page, "Léo")
        page.wait_for_selector(".fab-vote-choice", state="visible", timeout=30_000)
        page.wait_for_selector(".fab-phase-line .fab-timer", timeout=30_000)
        assert serious_findings(page) == []
    finally:
        ctx.close()

# For each visible slider: its handle's accessible name and value text, and what the page
# shows beside it (the lever's label and value, formatted by the kernel).
SLIDERS = """() => Array.from(document.querySelectorAll('.fab-lever')).filter(
    (l) => l.getBoundingClientRect().height > 0).map((l) => {
  const h = l.querySelector('.noUi-handle');
  return {name: h.getAttribute('aria-label'), valuetext: h.getAttribute('aria-valuetext'),
          role: h.getAttribute('role'),
          label: l.querySelector('.fab-lever-label').textContent.trim(),
          shown: l.querySelector('.fab-lever-value').textContent.trim()};
})"""


def test_each_slider_is_named_after_its_lever_and_speaks_its_value_with_the_unit(
        context, voila_server):
    page = context.new_page()
    page.goto(voila_server.url + APP)
    wait_for_atelier(page, voila_server)
    page.wait_for_function("""() => { const shown = Array.from(document.querySelectorAll(
        '.fab-lever')).filter((l) => l.getBoundingClientRect().height > 0);
      return shown.length >= 15 && shown.every((l) => {
        const h = l.querySelector('.noUi-handle');
        return h && h.getAttribute('aria-label') && h.getAttribute('aria-valuetext')
          && l.querySelector('.fab-lever-value').textContent.trim(); }); }""")
    sliders = page.evaluate(SLIDERS)
    assert len(sliders) >= 15
    for s in sliders:
        assert s["role"] == "slider" and s["name"] == s["label"], s
        assert s["valuetext"] == s["shown"], s  # « 55 % des déplacements », not « 55.00 »
    # a key press: the value text follows at once, before the kernel answers
    handle = page.locator(".fab-slider-net_migration .noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.fab-slider-net_migration "
                           ".noUi-handle').getAttribute('aria-valuetext')"
                           ".replace(/\\s/g, ' ') === '950 personnes par an'", timeout=10_000)
    page.wait_for_function("() => document.querySelector('.fab-lever-net_migration "
                           ".fab-lever-value').textContent.includes('950')", timeout=30_000)
    (moved,) = [s for s in page.evaluate(SLIDERS) if s["label"] == "Solde migratoire"]
    assert moved["valuetext"] == moved["shown"], moved
    # two decimals are spoken as shown (noUiSlider's own aria-valuenow keeps only one)
    page.locator(".fab-slider-fertility .noUi-handle").focus()
    page.keyboard.press("ArrowRight")  # 1,80 -> 1,85
    page.wait_for_function("() => document.querySelector('.fab-lever-fertility "
                           ".fab-lever-value').textContent.includes('1,85')", timeout=30_000)
    (fertility,) = [s for s in page.evaluate(SLIDERS)
                    if s["shown"].startswith("1,85")]
    assert fertility["valuetext"] == fertility["shown"], fertility
