"""The vote on the consensus in a real Chromium: the facilitator's Plénière (1920×1080)
puts the panel's consensus to the vote; a participant on a phone (390×844) sees it appear
within a beat, taps « D'accord » on a theme, and the Plénière's tally counts it, live."""

from __future__ import annotations

import uuid

from workbench.levers import load_levers

from .conftest import join, wait_for_atelier
from .test_layout import OVERFLOW
from .test_overview import normalise

PLENIERE = "/voila/render/pleniere.ipynb"
ATELIER = "/voila/render/atelier.ipynb"


def test_the_room_votes_on_the_consensus_from_a_phone(browser, voila_server, token):
    store = voila_server.store()
    wall = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                                is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        wall.set_default_timeout(30_000)
        phone.set_default_timeout(30_000)
        page = wall.new_page()
        page.goto(f"{voila_server.url}{PLENIERE}?jeton={token}", timeout=120_000)
        page.locator(".fab-session-title-input input").fill("Vote du panel")
        page.locator(".fab-open").click()
        code = page.wait_for_selector(".fab-code", timeout=20_000).get_attribute("data-code")
        # three futures that all raise fertility and home care: the consensus moves both
        reg = load_levers()
        for i in range(3):
            values = {**reg.trend_values(), "fertility": reg["fertility"].max,
                      "home_care_share": 75}
            store.submit(code, f"Banc {i}", values, "Un futur.", share_code="F1test",
                         model_version="0.1.0", territory="grand-chambery",
                         key=uuid.uuid4().hex)
        page.wait_for_function("() => document.querySelector('.fab-counter [data-count]')"
                               "?.dataset.count === '3'", timeout=20_000)
        # the vote's state is shown with the session (it was read before the futures came)
        page.wait_for_function("() => /Pas encore de vote/.test("
                               "document.querySelector('.fab-vote-tally')?.innerText)",
                               timeout=20_000)

        # the participant has joined before the vote opens: nothing is shown yet
        part = phone.new_page()
        part.goto(f"{voila_server.url}{ATELIER}?atelier={code}", timeout=120_000)
        wait_for_atelier(part, voila_server)
        join(part, "Zoé")
        assert not part.locator(".fab-vote").is_visible()

        page.locator(".fab-vote-open").click()
        page.wait_for_selector(".fab-vote-state[data-voters='0']", timeout=20_000)
        themes = page.eval_on_selector_all(".fab-vote-table tr[data-theme]",
                                           "rows => rows.map(r => r.dataset.theme)")
        assert themes[:1] == ["demographie"] and len(themes) == 2, themes

        # within a beat (4 s) the phone shows the vote, theme by theme
        part.wait_for_selector(".fab-vote .fab-vote-demographie", state="visible",
                               timeout=20_000)
        box = normalise(part.inner_text(".fab-vote"))
        assert "Vote sur le futur de consensus" in box and "tendanciel" in box
        assert "D'accord" in box and "Pas d'accord" in box and "À discuter" in box
        choice = part.locator(".fab-vote-demographie label", has_text="D'accord").first
        height = choice.evaluate("e => e.getBoundingClientRect().height")
        assert height >= 44, height  # a finger's target
        o = part.evaluate(OVERFLOW)
        assert o["scrollWidth"] <= o["vw"] and not o["out"], o
        choice.tap()
        part.wait_for_function(
            "() => /Avis enregistré/.test(document.querySelector('.fab-vote').innerText)",
            timeout=20_000)

        # the Plénière counts it on its next poll (every 2 s)
        page.wait_for_selector(".fab-vote-state[data-voters='1']", timeout=20_000)
        row = " ".join(page.inner_text(".fab-vote-table tr[data-theme='demographie']").split())
        assert row.startswith("Démographie 1 0 0") and "Adopté" in row, row
        (vote,) = store.votes(code)
        assert vote.theme == "demographie" and vote.choice == "accord"

        # closing the vote: the phone says so and its choices are no longer offered
        page.locator(".fab-vote-close").click()
        part.wait_for_function(
            "() => /Le vote est clos/.test(document.querySelector('.fab-vote').innerText)",
            timeout=20_000)
        assert part.locator(".fab-vote-demographie input").first.is_disabled()
    finally:
        wall.close()
        phone.close()
