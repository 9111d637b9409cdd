"""« Atelier 2030 » in a real Chromium: join, move a lever with the keyboard and see the
figures and charts change, undo, submit, reopen the share link with the same levers."""

from __future__ import annotations

import re
import time

from .conftest import join, wait_for_atelier, wait_for_draft
from .test_overview import external

APP = "/voila/render/atelier.ipynb"
SCREENSHOT = "/tmp/atelier.png"


def normalise(text: str) -> str:
    return re.sub(r"[\u202f\u00a0]", " ", text)


def population_2030(page) -> str:
    card = page.locator(".fab-kf[data-variable='Population'] .fab-kf-2030")
    return normalise(card.inner_text())


def open_app(context, url, server=None):
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="domcontentloaded")
    wait_for_atelier(page, server)
    page.wait_for_selector(".fab-atelier .bk-Canvas, .fab-atelier canvas", timeout=60_000)
    return page, requests


def test_participant_journey(context, voila_server):
    store = voila_server.store()
    session = store.create_session("Atelier test navigateur")
    page, requests = open_app(context, f"{voila_server.url}{APP}?atelier={session.code}",
                              voila_server)
    text = normalise(page.inner_text("body"))
    assert "Atelier 2030" in text and "Hypothèses de contexte" in text
    assert "Vos choix pour le territoire" in text and "tendanciel" in text
    assert page.locator(".fab-join-code input").input_value() == session.code
    for word in ("Traceback", "Error", "Exception"):
        assert word not in text, voila_server.log_tail()
    before = population_2030(page)
    assert before.startswith("149 370")

    # the keyboard moves a slider by one step: net migration 900 -> 950 -> 1000
    handle = page.locator(".fab-slider-net_migration .noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.fab-lever-net_migration')"
                           ".innerText.replace(/\\s/g, ' ').includes('1 000 personnes')",
                           timeout=20_000)
    # 1 000 arrivals a year instead of 900: 150 309 people in 2030 instead of 149 370
    page.wait_for_function(
        "() => document.querySelector(\".fab-kf[data-variable='Population'] .fab-kf-2030\")"
        ".innerText.replace(/\\s/g, ' ').startsWith('150 ')", timeout=20_000)
    assert population_2030(page) != before

    # undo, one step at a time, brings back the trend figure
    undo = page.locator(".fab-undo button, button.fab-undo").first
    undo.click()
    page.wait_for_function("() => document.querySelector('.fab-lever-net_migration')"
                           ".innerText.replace(/\\s/g, ' ').startsWith('Solde migratoire\\n950')"
                           " || document.querySelector('.fab-lever-net_migration')"
                           ".innerText.includes('950')", timeout=20_000)
    undo.click()
    page.wait_for_function(
        "() => document.querySelector(\".fab-kf[data-variable='Population'] .fab-kf-2030\")"
        ".innerText.replace(/\\s/g, ' ').startsWith('149 370')", timeout=20_000)
    # « Rétablir » takes back what « Revenir en arrière » undid
    assert "Revenir en arrière" in undo.inner_text()
    page.locator(".fab-redo button, button.fab-redo").first.click()
    page.wait_for_function("() => document.querySelector('.fab-lever-net_migration')"
                           ".innerText.includes('950')", timeout=20_000)

    # join and submit a future with a text holding HTML: stored as typed, shown escaped
    page.locator(".fab-join-pseudonyme input").fill("Zoé <i>")
    page.locator(".fab-join-button").click()
    page.wait_for_selector("text=Bienvenue", timeout=20_000)
    page.locator(".fab-slider-home_care_share .noUi-handle").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.fab-lever-home_care_share')"
                           ".innerText.includes('64')", timeout=20_000)
    page.locator(".fab-text textarea").fill("Vivre chez soi plus longtemps <script>x</script>")
    page.locator(".fab-submit").click()
    page.wait_for_selector("text=Votre futur est enregistré", timeout=20_000)
    assert page.locator(".fab-atelier script").count() == 0
    (sub,) = store.submissions(session.code)
    assert sub.pseudonym == "Zoé <i>" and sub.levers["home_care_share"] == 64
    assert sub.text == "Vivre chez soi plus longtemps <script>x</script>"
    link = page.locator(".fab-share a").get_attribute("href")
    assert link.startswith(voila_server.url) and sub.share_code in link
    # Voilà scrolls inside its container: make the viewport as tall as the app to see it all
    height = page.evaluate("document.querySelector('.fab2030').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 80, 8000)})
    page.screenshot(path=SCREENSHOT)
    assert not [u for u in requests if external(u)], "the app must work offline"

    # the share link reopens the same levers in a fresh page
    again, _ = open_app(context, link, voila_server)
    again.wait_for_function("() => document.querySelector('.fab-lever-home_care_share')"
                            ".innerText.includes('64')", timeout=20_000)
    assert "futur partagé" in again.inner_text("body")


def test_an_unknown_code_and_a_bad_share_link_get_french_messages(context, voila_server):
    page, _ = open_app(context, f"{voila_server.url}{APP}?futur=F1abimé", voila_server)
    assert "code de partage n'est pas valide" in normalise(page.inner_text("body"))
    page.locator(".fab-join-code input").fill("ZZZ-ZZZ")
    page.locator(".fab-join-pseudonyme input").fill("Léa")
    page.locator(".fab-join-button").click()
    page.wait_for_selector("text=Aucun atelier", timeout=20_000)


def test_lever_move_updates_in_the_browser_quickly(context, voila_server):
    """Not a timing test (the benchmark measures it): a sanity bound so a regression that
    makes every move take seconds cannot pass unnoticed."""
    page, _ = open_app(context, f"{voila_server.url}{APP}", voila_server)
    handle = page.locator(".fab-slider-fertility .noUi-handle")
    handle.focus()
    t0 = time.perf_counter()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.fab-lever-fertility')"
                           ".innerText.includes('1,85')", timeout=20_000)
    assert time.perf_counter() - t0 < 10


def kernel_pid(kernel_id: str) -> int:
    """The process of a kernel, found by its connection file (kernel-<id>.json)."""
    import subprocess

    ps = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    pids = [int(line.split(None, 1)[0]) for line in ps.splitlines()
            if f"kernel-{kernel_id}.json" in line]
    assert len(pids) == 1, ps
    return pids[0]


def test_a_participant_whose_kernel_died_is_told_and_keeps_the_future(context, voila_server):
    import json
    import os
    import signal

    page, _ = open_app(context, f"{voila_server.url}{APP}", voila_server)
    handle = page.locator(".fab-slider-digital_mediation .noUi-handle")
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.fab-lever-digital_mediation')"
                           ".innerText.includes('700')", timeout=20_000)
    wait_for_draft(context, voila_server, lambda d: d["levers"]["digital_mediation"] == 700)
    config = json.loads(page.locator("#jupyter-config-data").inner_text())
    os.kill(kernel_pid(config["kernelId"]), signal.SIGKILL)
    banner = page.locator(".fab-lost")
    t0 = time.monotonic()
    banner.wait_for(state="visible", timeout=40_000)
    print(f"banner {time.monotonic() - t0:.1f} s after the kernel was killed")
    # told by the server (kernel restarting) or by the closed socket, not by the slow beat
    assert banner.get_attribute("data-why") in ("kernel", "socket")
    text = normalise(banner.inner_text())
    assert "La connexion avec le serveur est coupée" in text and "est bien enregistré" in text
    assert "vous retrouverez vos curseurs, votre pseudonyme, votre groupe et votre texte" in text
    with page.expect_navigation(wait_until="domcontentloaded"):
        banner.locator("button").click()
    wait_for_atelier(page, voila_server)
    page.wait_for_function("() => document.querySelector('.fab-lever-digital_mediation')"
                           ".innerText.includes('700')", timeout=20_000)
    assert "revenu" in page.inner_text(".fab-atelier")


def test_one_column_on_a_phone(browser, voila_server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                              is_mobile=True, has_touch=True)
    try:
        page, _ = open_app(ctx, f"{voila_server.url}{APP}", voila_server)
        page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")
        # stacked, not side by side: the levers, then the results, then the text to send
        # (on a phone the levers' column dissolves: css/atelier.css)
        levers = page.locator(".fab-levers .fab-context").bounding_box()  # its last block
        results = page.locator(".fab-results").bounding_box()
        send = page.locator(".fab-submit-box").bounding_box()
        assert results["y"] >= levers["y"] + levers["height"] - 1
        assert send["y"] >= results["y"] + results["height"] - 1
        assert max(levers["width"], results["width"], send["width"]) <= 390
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                             "'.fab-atelier')).fontSize)")
        assert size >= 16  # readable without zooming
    finally:
        ctx.close()


def test_a_double_click_and_a_retry_after_a_reload_count_once(context, voila_server):
    """The issue's measured case: Playwright's dblclick stored two futures. The key now
    comes from the browser's device cookie and the future, so the double click, then a
    reload and the same future sent again, all land as one row."""
    store = voila_server.store()
    session = store.create_session("Double clic")
    page, _ = open_app(context, f"{voila_server.url}{APP}?atelier={session.code}", voila_server)

    join(page, "Zoé")
    page.locator(".fab-text textarea").fill("Le même futur, envoyé deux fois.")
    page.locator(".fab-submit").dblclick()
    page.wait_for_selector("text=enregistré", timeout=20_000)
    page.wait_for_timeout(1500)  # the second click's answer, if any, has arrived
    (sub,) = store.submissions(session.code)
    assert [c["name"] for c in context.cookies() if c["name"] == "fabrique_appareil"]
    # reload: a new kernel, the same browser. The draft rejoins the session with the same
    # text, and says what landed; sending again counts once
    page.reload(wait_until="domcontentloaded")
    wait_for_atelier(page, voila_server)
    page.wait_for_selector("text=1 futur déjà reçu", timeout=20_000)
    assert page.locator(".fab-text textarea").input_value() == "Le même futur, envoyé deux fois."
    assert f"n° {sub.id}" in page.inner_text(".fab-atelier")
    page.locator(".fab-submit").click()
    page.wait_for_selector("text=Ce futur est déjà enregistré", timeout=20_000)
    shown = " ".join(page.inner_text(".fab-atelier").split())
    assert f"(n° {sub.id}) : il ne compte qu'une fois" in shown
    assert [s.id for s in store.submissions(session.code)] == [sub.id]
    page.close()


def test_one_future_per_person_and_a_pseudonym_per_person(browser, context, voila_server):
    """Two browsers (two devices) in one session: the second cannot take « Zoé » (in any
    case); Zoé's changed future replaces her first in the room's count."""
    store = voila_server.store()
    session = store.create_session("Un futur par personne")
    url = f"{voila_server.url}{APP}?atelier={session.code}"
    zoe, _ = open_app(context, url, voila_server)
    join(zoe, "Zoé")
    zoe.locator(".fab-text textarea").fill("Mon premier futur.")
    zoe.locator(".fab-submit").click()
    zoe.wait_for_selector("text=Votre futur est enregistré", timeout=20_000)
    (first,) = store.submissions(session.code)

    other_ctx = browser.new_context(locale="fr-FR")
    try:
        other, _ = open_app(other_ctx, url, voila_server)
        other.locator(".fab-join-pseudonyme input").fill("ZOÉ")
        other.locator(".fab-join-button").click()
        other.wait_for_selector("text=déjà pris dans cet atelier", timeout=20_000)
        assert not other.locator(".fab-join-button button, button.fab-join-button").first \
            .is_disabled()
        join(other, "Zoé B.")
    finally:
        other_ctx.close()

    zoe.locator(".fab-text textarea").fill("Après réflexion, un autre futur.")
    zoe.locator(".fab-submit").click()
    zoe.wait_for_selector("text=il remplace le précédent", timeout=20_000)
    shown = " ".join(zoe.inner_text(".fab-atelier").split())
    assert f"remplace le précédent (n° {first.id})" in shown
    assert len(store.submissions(session.code)) == 2
    (current,) = store.current(session.code)
    assert current.id != first.id and current.text == "Après réflexion, un autre futur."
    zoe.close()


def test_nothing_is_lost_on_reload_closed_tab_or_network_cut(browser, voila_server):
    """Issue 12, item 2: levers, joined state, pseudonym, group and the text being written
    come back after F5, after closing the tab, and after the network is cut (the banner
    says so at once, from the browser's offline event, not from the 15 s watchdog)."""
    store = voila_server.store()
    session = store.create_session("Rien ne se perd")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    try:
        page, _ = open_app(ctx, f"{voila_server.url}{APP}?atelier={session.code}",
                           voila_server)
        join(page, "Camille", "Groupe C")
        page.locator(".fab-slider-home_care_share .noUi-handle").focus()
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        page.locator(".fab-text textarea").fill("Un texte à moitié écrit")
        wait_for_draft(ctx, voila_server, lambda d: d["text"] == "Un texte à moitié écrit"
                       and d["levers"]["home_care_share"] == 63 and d["session"])

        def everything_back(p) -> None:
            wait_for_atelier(p, voila_server)
            p.wait_for_selector("text=revenu", timeout=20_000)
            p.wait_for_function("() => document.querySelector('.fab-lever-home_care_share')"
                                ".innerText.includes('63')", timeout=20_000)
            assert p.locator(".fab-text textarea").input_value() == "Un texte à moitié écrit"
            assert p.locator(".fab-join-pseudonyme input").input_value() == "Camille"
            assert p.locator(".fab-join-groupe input").input_value() == "Groupe C"
            assert p.locator(".fab-join-pseudonyme input").is_disabled()  # joined again
            assert "Bienvenue Camille (Groupe C)" in normalise(p.inner_text(".fab-atelier"))

        page.reload(wait_until="domcontentloaded")  # F5, mid-text
        everything_back(page)
        page.close()  # the tab is closed, then the link opened again
        page, _ = open_app(ctx, f"{voila_server.url}{APP}?atelier={session.code}",
                           voila_server)
        everything_back(page)

        ctx.set_offline(True)  # the room's Wi-Fi drops
        banner = page.locator(".fab-lost")
        banner.wait_for(state="visible", timeout=10_000)
        assert banner.get_attribute("data-why") == "offline"
        assert "ce que vous changez maintenant n'est plus pris en compte" in normalise(
            banner.inner_text())
        ctx.set_offline(False)
        with page.expect_navigation(wait_until="domcontentloaded"):
            banner.locator("button").click()
        everything_back(page)
        assert page.locator(".fab-lost").count() == 0
        page.close()
    finally:
        ctx.close()
