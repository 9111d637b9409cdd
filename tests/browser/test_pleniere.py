"""« Plénière » in a real Chromium: refused without the facilitator token; with it, open a
session, see a participant's future (sent through the real Atelier page) arrive without
reloading, compare two futures, see the consensus, export the xlsx and the report."""

from __future__ import annotations

import base64
import re
import time
import uuid

import workbench as wb
from workbench.app.pleniere import REFUSED_FR
from workbench.store import format_code

from .conftest import join, wait_for_atelier
from .test_overview import external, normalise

APP = "/voila/render/pleniere.ipynb"
ATELIER = "/voila/render/atelier.ipynb"
SCREENSHOT = "/tmp/pleniere.png"
SCREENSHOT_720 = "/tmp/pleniere-720.png"
REPORT_COPY = "/tmp/pleniere-report.html"
SECRET = "Texte-confidentiel-du-panel"


def submit(store, code, pseudonym, text, **levers):
    from workbench.levers import load_levers

    values = load_levers().trend_values()
    values.update(levers)
    return store.submit(code, pseudonym, values, text, share_code="F1test",
                        model_version="0.1.0", territory="grand-chambery", key=uuid.uuid4().hex)


def test_refused_without_the_token(context, voila_server, token):
    store = voila_server.store()
    session = store.create_session("Atelier confidentiel")
    submit(store, session.code, "Zoé", SECRET)
    for query in ("", "?jeton=faux", f"?jeton={token[:-2]}"):
        page = context.new_page()
        page.goto(voila_server.url + APP + query, wait_until="domcontentloaded",
                  timeout=120_000)  # the first load may wait for the kernel pools
        page.wait_for_selector(".fab-pleniere .fab-refused", timeout=60_000)
        text = normalise(page.inner_text("body"))
        assert normalise(REFUSED_FR) in text
        content = page.content()
        for leak in (SECRET, session.code, "Atelier confidentiel", token):
            assert leak not in content, leak
        assert "Traceback" not in text and page.locator(".fab-session-box").count() == 0
        assert "kernelId" not in content  # refused by the server: no kernel was handed out
        page.close()


def test_facilitator_journey(context, voila_server, token, tmp_path):
    import pyam

    store = voila_server.store()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{voila_server.url}{APP}?jeton={token}", wait_until="domcontentloaded",
              timeout=120_000)
    page.wait_for_selector(".fab-session-title-input input", timeout=60_000)
    assert "Plénière" in page.inner_text("body")
    # the room's readiness, from the same signal as make workshop and these tests
    page.wait_for_function("() => /Salle (prête|en préparation)\\s*:\\s*\\d+ postes sur 6/.test("
                           "document.querySelector('.fab-room')?.innerText || '')",
                           timeout=30_000)

    # open a session from the page: its code, very large, and the participants' link
    page.locator(".fab-session-title-input input").fill("Plénière <i>test</i> navigateur")
    page.locator(".fab-open").click()
    code_box = page.wait_for_selector(".fab-code", timeout=20_000)
    code = code_box.get_attribute("data-code")
    assert store.get_session(code).title == "Plénière <i>test</i> navigateur"
    assert float(code_box.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 80
    link = page.locator(".fab-join-link").get_attribute("href")
    assert link == f"{voila_server.url}{ATELIER}?atelier={code}" and token not in link
    # the title is shown escaped: no <i> element with text (the buttons' icons have none)
    assert page.locator(".fab-pleniere i").evaluate_all(
        "els => els.filter(e => e.textContent.trim()).length") == 0

    # a participant sends a future through the real Atelier page; the room's line counts
    # the participants' pages connected (never the Plénière's own)
    connected = "document.querySelector('.fab-connected')?.dataset.connected"
    before = int(page.wait_for_function(f"() => {connected}", timeout=20_000).json_value())
    part = context.new_page()
    part.goto(link, wait_until="domcontentloaded", timeout=120_000)
    part.wait_for_selector(".fab-join-pseudonyme input", timeout=60_000)
    part.locator(".fab-join-pseudonyme input").fill("Zoé")
    part.locator(".fab-join-button").click()
    part.wait_for_selector("text=Bienvenue", timeout=20_000)
    page.wait_for_function(f"() => {connected} === '{before + 1}'", timeout=20_000)
    assert f"{before + 1} participant" in page.inner_text(".fab-room")
    part.locator(".fab-text textarea").fill("Un futur <b>html</b> pour tous")
    part.locator(".fab-submit").click()
    part.wait_for_selector("text=Votre futur est enregistré", timeout=20_000)
    part.close()
    page.wait_for_function(f"() => {connected} === '{before}'", timeout=20_000)
    (zoe,) = store.submissions(code)
    assert zoe.text == "Un futur <b>html</b> pour tous"
    leo = submit(store, code, "Léo", "Plus de médiation numérique", digital_mediation=2000)
    ana = submit(store, code, "Ana", "Rester chez soi", home_care_share=75)

    # they appear without reloading (polling every 2 s)
    page.wait_for_function("() => document.querySelector('.fab-counter [data-count]')"
                           "?.dataset.count === '3'", timeout=15_000)
    first = page.locator(f".fab-sub-{zoe.id}")
    assert "Un futur <b>html</b> pour tous" in first.inner_text()
    assert page.locator(".fab-sub b").count() == 0
    assert "3 futurs reçus" in normalise(page.inner_text(".fab-counter"))

    # compare two: side by side with the trend and the consensus
    page.locator(f".fab-sub-{zoe.id} .fab-compare-check input").check()
    page.locator(f".fab-sub-{leo.id} .fab-compare-check input").check()
    page.wait_for_function("() => document.querySelectorAll('table.fab-compare thead th')"
                           ".length === 6", timeout=20_000)
    head = normalise(page.inner_text("table.fab-compare thead"))
    for name in ("Tendanciel", "Consensus du panel", "Zoé", "Léo"):
        assert name in head
    assert re.search(r"\d{3} \d{3}", normalise(page.inner_text("table.fab-compare tbody")))
    # …and drawn: each chosen future a line against the trend, above the numbers
    charts = page.locator(".fab-compare-charts .fab-compare-grid svg")
    assert charts.count() == 6 and charts.first.is_visible()
    legend = normalise(page.inner_text(".fab-compare-charts .fab-legend"))
    assert "Zoé" in legend and "Léo" in legend and "tendanciel" in legend
    assert "futur=F1" in page.locator(".fab-consensus-link").get_attribute("href")
    page.wait_for_selector(".fab-panel-chart canvas", timeout=20_000)
    assert page.locator(".fab-spread tbody tr").count() == len(wb.load_levers())

    # export: two download links, the same files under var/exports
    page.locator(".fab-export").click()
    page.wait_for_function("() => document.querySelectorAll('a.fab-download').length === 2",
                           timeout=30_000)
    files = {}
    for a in page.locator("a.fab-download").all():
        name, href = a.get_attribute("download"), a.get_attribute("href")
        files[name] = base64.b64decode(href.split(";base64,", 1)[1])
    (xlsx_name,) = [n for n in files if n.endswith(".xlsx")]
    (html_name,) = [n for n in files if n.endswith(".html")]
    assert (voila_server.var / "exports" / xlsx_name).read_bytes() == files[xlsx_name]
    xlsx = tmp_path / xlsx_name
    xlsx.write_bytes(files[xlsx_name])
    df = pyam.IamDataFrame(xlsx)
    assert set(df.scenario) == {"tendanciel", "consensus", f"Zoé (n° {zoe.id})",
                                f"Léo (n° {leo.id})", f"Ana (n° {ana.id})"}
    assert df.year == list(range(2021, 2051)) and "Population" in df.variable
    report = files[html_name].decode("utf-8")
    with open(REPORT_COPY, "w", encoding="utf-8") as f:
        f.write(report)
    assert "Un futur &lt;b&gt;html&lt;/b&gt; pour tous" in report and "<b>html" not in report

    text = normalise(page.inner_text("body"))
    for word in ("Traceback", "Error", "Exception"):
        assert word not in text, voila_server.log_tail()
    assert not [u for u in requests if external(u)], "the app must work offline"

    # the projector's view (1280×720), then the whole app
    page.set_viewport_size({"width": 1280, "height": 720})
    page.evaluate("document.querySelector('.fab-pleniere').scrollIntoView()")
    page.screenshot(path=SCREENSHOT_720)
    height = page.evaluate("document.querySelector('.fab2030').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 80, 8000)})
    page.screenshot(path=SCREENSHOT)


def test_the_phase_timer_counts_down_on_the_projected_page(context, voila_server, token):
    """The facilitator names the phase, picks 3 minutes and starts: the page shows « 3 min
    00 s » in large figures, then counts down by itself (the kernel sent the length once)."""
    page = context.new_page()
    page.goto(f"{voila_server.url}{APP}?jeton={token}", timeout=120_000)
    page.locator(".fab-session-title-input input").fill("Minuteur")
    page.locator(".fab-open").click()
    page.wait_for_selector(".fab-code", timeout=20_000)
    page.locator(".fab-timer-phase input").fill("Explorer les leviers")
    page.locator(".fab-timer-length select").select_option(label="3 min")
    page.locator(".fab-timer-start").click()
    left = page.wait_for_selector(".fab-timer .fab-timer-left", timeout=20_000)
    shown_at = time.monotonic()  # the phase started before this
    assert "Explorer les leviers" in page.inner_text(".fab-timer")
    # within a few seconds it reads 2 min 5x s: the page's own count, not a message a second
    page.wait_for_function(
        "() => /^2\\s*min 5\\d\\s*s$/.test("
        "document.querySelector('.fab-timer-left')?.textContent.trim())", timeout=15_000)
    size = float(left.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size >= 60, size  # read from the back of the room
    assert page.get_attribute(".fab-timer", "role") == "timer"
    code = page.get_attribute(".fab-code", "data-code")
    # a participant joined to the session sees the same countdown above the levers
    phone = context.new_page()
    phone.goto(f"{voila_server.url}{ATELIER}?atelier={code}", timeout=120_000)
    wait_for_atelier(phone, voila_server)
    join(phone, "Zoé")
    phone.wait_for_function(  # whatever the machine's load made of the minutes since
        "() => /^([0-2]\\s*min \\d\\d\\s*s|Temps écoulé)$/.test("
        "document.querySelector('.fab-phase-line .fab-timer-left')?.textContent.trim())",
        timeout=20_000)
    assert "Explorer les leviers" in phone.inner_text(".fab-phase-line")
    # a reload of the projected page finds the phase still running, not back at 3 min
    page.reload(timeout=120_000)
    choice = page.wait_for_selector(".fab-session-choice select", timeout=60_000)
    label = next(o for o in page.locator(".fab-session-choice option").all_inner_texts()
                 if format_code(code) in o)
    asked_at = time.monotonic()
    choice.select_option(label=label)
    seconds = int(page.wait_for_selector(".fab-timer[data-seconds]", timeout=20_000)
                  .get_attribute("data-seconds"))
    assert asked_at - shown_at > 2  # long enough for a restart to show
    assert seconds <= 180 - int(asked_at - shown_at) + 1, (seconds, asked_at - shown_at)
    page.locator(".fab-timer-stop").click()
    page.wait_for_selector(".fab-timer", state="detached", timeout=20_000)
    # stopped: gone from the participant's page on its next beat
    phone.wait_for_selector(".fab-phase-line .fab-timer", state="detached", timeout=20_000)
    phone.close()
    page.close()


def test_the_spotlight_shows_one_future_on_the_whole_projected_screen(browser, voila_server,
                                                                       token):
    """At 1920×1080, « Projeter » puts one future on the whole screen: its pseudonym and text
    in 28 px type or more, four charts, all of it in one screen; « Fermer » gives the page
    back."""
    store = voila_server.store()
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR")
    try:
        page = ctx.new_page()
        page.goto(f"{voila_server.url}{APP}?jeton={token}", timeout=120_000)
        page.locator(".fab-session-title-input input").fill("Projection")
        page.locator(".fab-open").click()
        code = page.wait_for_selector(".fab-code", timeout=20_000).get_attribute("data-code")
        zoe = submit(store, code, "Zoé", "Des bus le soir et des vélos sûrs.",
                     home_care_share=70)
        submit(store, code, "Léo", "Plus de médiation.", digital_mediation=2000)
        page.wait_for_function("() => document.querySelector('.fab-counter [data-count]')"
                               "?.dataset.count === '2'", timeout=20_000)
        button = page.locator(f".fab-sub-{zoe.id} .fab-spot-button")
        assert button.inner_text().strip() == "Projeter"  # whole, not cut to « Proj… »
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth")
        button.click()
        spot = page.wait_for_selector(".fab-spotlight .fab-spot", state="visible",
                                      timeout=20_000)
        box = page.evaluate("""() => { const r = document.querySelector('.fab-spotlight')
            .getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }""")
        assert box == [0, 0, 1920, 1080], box  # the whole screen
        text = page.locator(".fab-spot-text")
        assert "Des bus le soir" in text.inner_text() and "Zoé" in spot.inner_text()
        size = float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        assert size >= 28, size
        assert page.locator(".fab-spot-grid svg").count() == 4
        fits = page.evaluate("() => { const s = document.querySelector('.fab-spotlight');"
                             " return s.scrollHeight <= s.clientHeight + 1; }")
        assert fits, "the spotlight needs scrolling at 1920×1080"
        page.screenshot(path="/tmp/spotlight.png")
        page.locator(".fab-spotlight-close").click()
        page.wait_for_selector(".fab-spotlight", state="hidden", timeout=20_000)
        # a text of 2,000 characters: an excerpt, and the screen still holds it all
        long = submit(store, code, "Ana", ("Un territoire où chacun trouve sa place. " * 50)
                      [:2000], net_migration=2000)
        page.wait_for_function("() => document.querySelector('.fab-counter [data-count]')"
                               "?.dataset.count === '3'", timeout=20_000)
        page.locator(f".fab-sub-{long.id} .fab-spot-button").click()
        page.wait_for_selector('.fab-spot[data-scenario^="Ana"]', state="visible",
                               timeout=20_000)
        assert "suite dans la liste des futurs reçus" in page.inner_text(".fab-spot-text")
        fits = page.evaluate("() => { const s = document.querySelector('.fab-spotlight');"
                             " return s.scrollHeight <= s.clientHeight + 1; }")
        assert fits, "a long text pushes the spotlight past 1920×1080"
        page.locator(".fab-spotlight-close").click()
        page.wait_for_selector(".fab-spotlight", state="hidden", timeout=20_000)
    finally:
        ctx.close()
