"""The report of a 50-future session, printed on A4 by Chromium: at most 8 pages, nothing
cut. The session is what a panel writes (workbench.sample_panel: each person moves a
handful of levers and writes a few sentences, two of them a long paragraph). The PDF is
read back with pypdf; the page laid out for print (18.6 cm of A4 between the report's
margins) is measured element by element."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pypdf

from workbench.app.report import session_report
from workbench.codelist import app_variables
from workbench.sample_panel import sample_panel
from workbench.store import Store

A4_CONTENT_PX = 703  # 21 cm − 2 × 1.2 cm of @page margin, at 96 px per inch
MAX_PAGES = 8


def _squash(text: str) -> str:
    """Text without spaces, ligatures undone (the PDF writes « eﬀet » with one glyph)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_a_50_future_report_prints_on_8_a4_pages_with_nothing_cut(browser, engine, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    session = sample_panel(store, engine.levers)
    subs = store.current(session.code)
    assert len(subs) == 50
    report = session_report(engine, session, subs, now=datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    path = tmp_path / "rapport.html"
    path.write_text(report, encoding="utf-8")

    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        pdf = tmp_path / "rapport.pdf"
        page.pdf(path=str(pdf), format="A4")
        # laid out as printed: no table, chart or word wider than the page's 18 cm
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
        over = page.evaluate("""() => {
            const width = document.documentElement.clientWidth, bad = [];
            for (const e of document.body.querySelectorAll('*')) {
                const r = e.getBoundingClientRect();
                if (r.width === 0 && r.height === 0) continue;
                const cut = e.scrollWidth > e.clientWidth + 1
                    && getComputedStyle(e).overflowX !== 'visible';
                if (r.right > width + 1 || r.left < -1 || cut
                    || (/^(TD|TH|TABLE)$/.test(e.tagName) && e.scrollWidth > e.clientWidth + 1))
                    bad.push(`${e.tagName}.${e.className.baseVal ?? e.className} ` +
                             `${Math.round(r.left)}–${Math.round(r.right)} of ${width}`);
            }
            return bad;
        }""")
        assert over == [], over[:10]
        # and read on a phone: the page never scrolls sideways (a wide table scrolls in its
        # own box)
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 360, "height": 740})
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, width
    finally:
        page.close()

    reader = pypdf.PdfReader(str(pdf))
    pages = [p.extract_text() or "" for p in reader.pages]
    print(f"{len(pages)} A4 pages")
    assert len(pages) <= MAX_PAGES, len(pages)
    assert all(_squash(p) for p in pages), "a blank page"
    printed = _squash("".join(pages))
    # every future is there, whole: its pseudonym, its number and its text to the last word
    for sub in subs:
        assert _squash(f"{sub.pseudonym}(n°{sub.id}") in printed, sub.pseudonym
        assert _squash(sub.text) in printed, sub.pseudonym
    # the tables' every column, to the verdict, and every chart's title
    for heading in ("Verdict", "Consensus", "Futursreçus,de", "Objectif"):
        assert heading in printed, heading
    charts = [v for v in app_variables(engine.codelist, engine.variables) if v.app_chart]
    assert len(charts) >= 4
    for var in charts:
        assert _squash(var.label_fr) in printed, var.label_fr
