"""« Plénière », the facilitator's app, without a browser: the token lock (nothing built,
nothing read without it), sessions, polling, comparison, consensus, agreement verdicts, the
exports (xlsx read back by pyam, self-contained HTML report) and the CLI command."""

from __future__ import annotations

import asyncio
import base64
import html
import os
import re
import stat
import uuid
from datetime import UTC, datetime

import ipywidgets as W
import pytest

import workbench as wb
from workbench.app import pleniere as P
from workbench.app.report import session_report
from workbench.format import format_value
from workbench.identity import participant_id
from workbench.panel import CONSENSUS, TREND, consensus_values
from workbench.scenario import scenario_from_code
from workbench.store import Store, Submission

from .conftest import run_cli

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def var(tmp_path, monkeypatch):
    """Each test has its own var/ (token file, exports) and no token in the environment."""
    folder = tmp_path / "var"
    monkeypatch.setenv("FABRIQUE_VAR", str(folder))
    monkeypatch.delenv(P.TOKEN_ENV, raising=False)
    return folder


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")


@pytest.fixture
def app(engine, store):
    a = P.Pleniere(engine, store=store)
    assert a.apply_query(f"jeton={P.facilitator_token()}",
                         "http://10.0.0.5:8866/voila/render/pleniere.ipynb?jeton=secret",
                         "/voila/render/pleniere.ipynb")
    return a


def submit(store, engine, code, pseudonym, text="Un futur souhaitable.", group="",
           participant="", **levers):
    values = engine.levers.trend_values()
    values.update(levers)
    return store.submit(code, pseudonym, values, text, group=group, share_code="F1test",
                        model_version=wb.__version__, territory="grand-chambery",
                        key=uuid.uuid4().hex, participant=participant)


def fake_sub(i, registry, **levers):
    values = registry.trend_values()
    values.update(levers)
    return Submission(id=i, session_code="ABCDEF", pseudonym=f"P{i}", group="", levers=values,
                      share_code="F1x", text=f"texte {i}", model_version=wb.__version__,
                      territory="grand-chambery", created=datetime.now(UTC))


class RecordingStore:
    """Records every attribute asked of it: the page must ask nothing without the token."""

    def __init__(self):
        self.calls: list[str] = []

    def __getattr__(self, name):
        self.calls.append(name)
        raise AssertionError(f"store.{name} used without the token")


def page_text(app) -> str:
    return " ".join(getattr(w, "value", "") for w in app.widget.children
                    if isinstance(getattr(w, "value", None), str))


# -- the token ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "jeton=", "jeton=faux", "autre=1", "jeton=%00",
                                   "jeton=é"])
def test_without_the_token_nothing_is_built_nor_read(query):
    fake = RecordingStore()
    app = P.Pleniere(store=fake)  # no engine given: it would be built lazily
    assert app.apply_query(query) is False
    assert fake.calls == [] and app._engine is None and not app.authorised
    style, refusal = app.widget.children
    assert P.REFUSED_FR in html.unescape(refusal.value)
    assert not hasattr(app, "session_box") and not hasattr(app, "list_box")


def test_a_token_one_character_short_or_from_another_var_is_refused(var):
    token = P.facilitator_token()
    fake = RecordingStore()
    assert not P.Pleniere(store=fake).apply_query(f"jeton={token[:-1]}")
    assert not P.Pleniere(store=fake).apply_query(f"jeton={token}x")
    assert fake.calls == []
    assert not P.token_ok("", "") and not P.token_ok(None, "") and P.token_ok(token, token)


def test_token_file_is_created_0600_once_and_stays(var):
    assert P.facilitator_token(create=False) == ""
    token = P.facilitator_token()
    path = var / P.TOKEN_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 20 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert P.facilitator_token() == token == P.facilitator_token(create=False)
    assert path.read_text().strip() == token
    assert sorted(p.name for p in var.iterdir()) == [P.TOKEN_FILE]  # no temporary left


def test_the_environment_variable_wins(var, monkeypatch):
    stored = P.facilitator_token()
    monkeypatch.setenv(P.TOKEN_ENV, "jeton-de-l-equipe")
    assert P.facilitator_token() == "jeton-de-l-equipe"
    assert not P.Pleniere(store=RecordingStore()).apply_query(f"jeton={stored}")


def test_the_right_token_builds_the_page(app, store):
    assert app.authorised and app.session is None
    assert app.session_choice.options[0] == (P.PICK, "")
    assert "Plénière" in page_text(app) and P.REFUSED_FR not in page_text(app)
    assert app.session_box.layout.display == "none"  # until a session is chosen


def test_cli_prints_the_participants_and_facilitator_links(var):
    out = run_cli("facilitator-token")
    assert out.returncode == 0, out.stderr
    participants, _, url = out.stdout.splitlines()
    token = P.facilitator_token(create=False)
    assert participants == "Participants : http://127.0.0.1:8866/voila/render/atelier.ipynb"
    assert url == f"http://127.0.0.1:8866/voila/render/pleniere.ipynb?jeton={token}"
    assert token not in participants
    again = run_cli("facilitator-token")
    assert again.stdout.splitlines()[2] == url
    assert stat.S_IMODE((var / P.TOKEN_FILE).stat().st_mode) == 0o600
    proxied = run_cli("facilitator-token", "--public-url", "https://atelier.example/")
    assert proxied.stdout.splitlines()[0] == ("Participants : "
                                              "https://atelier.example/voila/render/atelier.ipynb")


def test_the_join_address_is_one_a_phone_can_reach(monkeypatch):
    from workbench.server import network

    monkeypatch.setattr(network, "lan_addresses", lambda: ["192.168.1.20", "10.0.0.5"])
    assert network.public_base_url("", "0.0.0.0", 8866) == "http://192.168.1.20:8866/"
    assert network.public_base_url("", "192.168.1.30", 80) == "http://192.168.1.30:80/"
    assert network.public_base_url("https://x.example", "0.0.0.0", 1) == "https://x.example/"
    assert network.public_base_url("", "127.0.0.1", 8866) == "http://127.0.0.1:8866/"
    monkeypatch.setattr(network, "lan_addresses", lambda: [])
    assert network.public_base_url("", "0.0.0.0", 8866) == "http://127.0.0.1:8866/"


def test_lan_addresses_are_never_loopback_or_link_local():
    import ipaddress

    from workbench.server.network import lan_addresses

    for a in lan_addresses():
        ip = ipaddress.ip_address(a)
        assert not (ip.is_loopback or ip.is_link_local or ip.is_unspecified), a


def test_the_plenieres_join_link_uses_the_servers_public_address(app, monkeypatch):
    monkeypatch.setenv("FABRIQUE_PUBLIC_URL", "http://192.168.1.20:8866/")
    assert app.participants_link("ABCDEF") == (
        "http://192.168.1.20:8866/voila/render/atelier.ipynb?atelier=ABCDEF")


# -- sessions -------------------------------------------------------------------------------


def test_open_pick_and_close_a_session(app, store):
    assert app.open_session("   ") is None
    assert "vide" in app.session_msg.value and store.sessions() == []
    first = app.open_session("Atelier <b>A</b>")
    second = app.open_session("Atelier B")
    assert app.session.code == second.code
    codes = [c for _, c in app.session_choice.options]
    assert codes == ["", second.code, first.code]  # newest first
    app.session_choice.value = first.code  # picked in the dropdown
    assert app.session.code == first.code
    shown = app.join_html.value
    assert first.display_code in shown and "Atelier &lt;b&gt;A&lt;/b&gt;" in shown
    link = app.participants_link(first.code)
    assert link == f"http://10.0.0.5:8866/voila/render/atelier.ipynb?atelier={first.code}"
    assert f'href="{link}"' in shown and "jeton" not in shown
    # closing asks first
    app.close_button.click()
    assert app.confirm_box.layout.display == "flex" and store.get_session(first.code).open
    app.confirm_no.click()
    assert app.confirm_box.layout.display == "none" and store.get_session(first.code).open
    app.close_button.click()
    app.confirm_yes.click()
    assert not store.get_session(first.code).open and "clos" in app.join_html.value
    assert any("(clos)" in label for label, c in app.session_choice.options if c == first.code)


def test_relative_link_without_a_request_url(engine, store):
    a = P.Pleniere(engine, store=store)
    a.apply_query(f"jeton={P.facilitator_token()}")
    assert a.participants_link("ABCDEF") == "/voila/render/atelier.ipynb?atelier=ABCDEF"


# -- submissions ------------------------------------------------------------------------------


def test_polling_picks_up_new_submissions_newest_first(app, store, engine):
    session = app.open_session("Atelier du 21 novembre")
    assert app.poll() == 0 and "0 futur reçu" in app.counter.value
    submit(store, engine, session.code, "Zoé <i>", f"Vivre chez soi {SCRIPT}",
           home_care_share=70)
    assert app.poll() == 1 and app.poll() == 0
    long_text = "Des mots " * 60 + "FIN"
    submit(store, engine, session.code, "Léo", long_text, group="Les <b>jeunes</b>")
    submit(store, engine, session.code, "Ana", "Autre futur")
    other = store.create_session("Autre atelier")
    submit(store, engine, other.code, "Intrus", "pas ici")
    assert app.poll() == 2 and "3 futurs reçus" in app.counter.value
    rows = app.list_box.children
    assert [r._dom_classes[-1] for r in rows] == ["fab-sub-3", "fab-sub-2", "fab-sub-1"]
    shown = "".join(r.children[1].value for r in rows)
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert "Zoé &lt;i&gt;" in shown and "groupe Les &lt;b&gt;jeunes&lt;/b&gt;" in shown
    assert "Intrus" not in shown
    assert "<details>" in rows[1].children[1].value and "FIN" in rows[1].children[1].value
    assert re.search(r"\d{1,2}\xa0h\xa0\d\d", shown)  # French time, Europe/Paris
    # the chart's sources: one dot per submission and lever
    assert len(app.chart.dots.data["x"]) == 3 * len(engine.levers)
    # a median marker only where someone moved the lever: Zoé's home care, nothing else
    assert len(app.chart.median.data["x"]) == 1
    assert all(0 <= x <= 1 for x in app.chart.dots.data["x"])


def test_the_room_counts_people_a_newer_future_replaces_the_row(app, store, engine, var):
    session = app.open_session("Un futur par personne")
    zoe, leo = (participant_id(d * 24, session.code) for d in "zl")
    first = submit(store, engine, session.code, "Zoé", "Premier jet", participant=zoe,
                   home_care_share=70)
    submit(store, engine, session.code, "Léo", "Le mien", participant=leo)
    app.poll()
    app.set_chosen([first.id])
    second = submit(store, engine, session.code, "Zoé", "Après réflexion", participant=zoe,
                    home_care_share=80)
    assert app.poll() == 1
    assert [s.id for s in app.submissions] == [2, second.id]
    assert 'data-count="2" data-sent="3"' in app.counter.value
    assert "2 futurs reçus (un par personne ; 1 remplacé" in app.counter.value
    rows = app.list_box.children
    assert [r._dom_classes[-1] for r in rows] == [f"fab-sub-{second.id}", "fab-sub-2"]
    assert first.id not in app.rows and [s.id for s in app.chosen()] == [second.id]
    # the consensus and the lever chart see Zoé once, with her latest choice
    assert len(app.chart.dots.data["x"]) == 2 * len(engine.levers)
    # the export holds each person's current future only (the store keeps the history)
    xlsx, _page = app.export()
    import pyam

    names = set(pyam.IamDataFrame(xlsx).scenario)
    assert f"Zoé (n° {second.id})" in names and f"Zoé (n° {first.id})" not in names


def test_the_polling_task_survives_failures_and_stops_with_the_widget(engine, store):
    session = store.create_session("Atelier asynchrone")

    class Flaky:
        """The real store, whose first two polls fail."""

        def __init__(self):
            self.failures = 2

        def __getattr__(self, name):
            return getattr(store, name)

        def submissions(self, code, after_id=0):
            if self.failures:
                self.failures -= 1
                raise RuntimeError("database unreachable")
            return store.submissions(code, after_id=after_id)

    async def scenario():
        app = P.Pleniere(engine, store=Flaky(), poll_seconds=0.02)
        app.apply_query(f"jeton={P.facilitator_token()}")
        assert app._task is not None and not app._task.done()
        app.select_session(session.code)  # its immediate poll fails: a French message
        assert "injoignable" in app.status_msg.value
        submit(store, engine, session.code, "Zoé")
        for _ in range(2500):  # until it arrives (a loaded machine is slow, never wrong)
            await asyncio.sleep(0.02)
            if app.submissions and app.status_msg.value == "":
                break
        assert [s.pseudonym for s in app.submissions] == ["Zoé"]
        assert app.status_msg.value == ""  # the failure message went away
        app.widget.close()
        for _ in range(500):  # the loop ends once its current step's store reads return
            await asyncio.sleep(0.02)
            if app._task.done():
                break
        assert app._task.done() and app._task.exception() is None

    # in a thread of its own: the browser tests' Playwright keeps an event loop running in
    # the main thread for the whole session, and asyncio.run refuses to nest
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=60)


def test_refresh_button_reports_a_failure_in_french(app, store):
    app.open_session("Atelier")
    app._store = RecordingStore()
    app.refresh_button.click()
    assert "injoignable" in app.status_msg.value and "Traceback" not in app.status_msg.value


# -- comparison, consensus, verdicts ----------------------------------------------------------


def test_comparison_values_equal_engine_run(app, store, engine):
    session = app.open_session("Atelier")
    a = submit(store, engine, session.code, "Zoé", home_care_share=70, net_migration=2000)
    b = submit(store, engine, session.code, "Léo", digital_mediation=1500)
    submit(store, engine, session.code, "Ana", fertility=1.5)
    app.poll()
    app.set_chosen([a.id, b.id])
    # by hand: medians of the three futures (all on the grid: odd panel)
    cons = engine.levers.trend_values()
    cons.update(home_care_share=59, net_migration=900, digital_mediation=550, fertility=1.8)
    expected = engine.run([wb.Scenario(TREND), wb.Scenario("cons", levers=cons),
                           wb.Scenario("a", levers=a.levers), wb.Scenario("b", levers=b.levers)])
    cells = dict(((m[0], m[1], m[2]), float(m[3])) for m in re.findall(
        r'data-variable="([^"]+)" data-year="(\d+)" data-scenario="([^"]+)" '
        r'data-value="([^"]+)"', app.compare_html.value))
    names = {TREND: TREND, CONSENSUS: "cons", "Zoé (n° 1)": "a", "Léo (n° 2)": "b"}
    assert {k[2] for k in cells} == set(names)
    for var in app.variables:
        for year in (2030, 2050):
            for shown, ref in names.items():
                assert cells[(var.name, str(year), shown)] == pytest.approx(
                    expected.value(var.name, year, ref), rel=1e-12)
    pop = format_value(expected.value("Population", 2030, "a"), "persons")
    assert pop in app.compare_html.value
    assert "Zoé<br>" in app.compare_html.value and "data-status=" in app.score_html.value
    app.set_chosen([])
    assert "Cochez «\xa0comparer\xa0»" in app.compare_html.value


def test_consensus_is_the_median_snapped_to_the_step(engine):
    reg = engine.levers
    subs = [fake_sub(1, reg, fertility=1.5, net_migration=0, home_care_share=40),
            fake_sub(2, reg, fertility=1.6, net_migration=500, home_care_share=41),
            fake_sub(3, reg, fertility=1.7, net_migration=650, home_care_share=44),
            fake_sub(4, reg, fertility=2.2, net_migration=3000, home_care_share=85)]
    cons = consensus_values(subs, reg)
    # fertility: (1.6 + 1.7) / 2 = 1.65, on the 0.05 grid
    # net migration: (500 + 650) / 2 = 575 = 11.5 steps of 50 -> 12 (even) -> 600
    # home care: (41 + 44) / 2 = 42.5 = 42.5 steps of 1 -> 42 (even)
    assert cons["fertility"] == 1.65
    assert cons["net_migration"] == 600 and cons["home_care_share"] == 42
    assert cons["digital_mediation"] == reg["digital_mediation"].trend  # nobody moved it
    odd = subs + [fake_sub(5, reg, fertility=1.3, net_migration=-1000, home_care_share=60)]
    cons5 = consensus_values(odd, reg)  # five: the middle value
    assert (cons5["fertility"], cons5["net_migration"], cons5["home_care_share"]) == \
        (1.6, 500, 44)
    assert consensus_values([], reg) == reg.trend_values()


def test_the_page_shows_the_consensus_with_its_share_code(app, store, engine):
    session = app.open_session("Atelier")
    for i, v in enumerate((60, 70, 80)):
        submit(store, engine, session.code, f"P{i}", home_care_share=v)
    app.poll()
    code = re.search(r'fab-consensus-code">([^<]+)<', app.consensus_html.value).group(1)
    assert scenario_from_code(code, engine.levers).levers["home_care_share"] == 70
    link = re.search(r'class="fab-consensus-link" href="([^"]+)"', app.consensus_html.value)
    assert html.unescape(link.group(1)) == (
        f"http://10.0.0.5:8866/voila/render/atelier.ipynb?futur={code}&atelier={session.code}")


def test_the_page_groups_the_futures_into_families_and_runs_their_medians(app, store, engine):
    from workbench.panel import families

    session = app.open_session("Familles")
    family = {"A": {"home_care_share": 80, "digital_mediation": 1500},
              "B": {"car_modal_share_2030": 38, "remote_work_days": 1.5},
              "C": {"solar_pv_2030": 250, "building_renovation_rate": 2500}}
    for i, fam in enumerate("ABC"):
        submit(store, engine, session.code, f"P{i:02d} <i>", **family[fam])
    app.poll()
    assert "à partir de 4 futurs" in app.families_html.value  # three are too few
    for i, fam in enumerate("ABCABCABA", start=3):  # in all: 5 A, 4 B, 3 C
        wiggle = (-1, 0, 1)[i % 3]
        levers = dict(family[fam])
        if fam == "A":
            levers["home_care_share"] += wiggle
        submit(store, engine, session.code, f"P{i:02d} <i>", **levers)
    app.poll()
    shown = app.families_html.value
    letters = re.findall(r'<li class="fab-family" data-family="([A-E])">', shown)
    assert letters == ["A", "B", "C"]
    fams = families(store.submissions(session.code), engine.levers)
    assert [len(f.members) for f in fams] == [5, 4, 3]
    a = re.search(r'data-family="A">(.*?)</li>', shown).group(1)
    assert "Famille A</strong> (5 futurs reçus)" in a and "Maintien à domicile à la hausse" in a
    assert "<i>" not in shown and "P00 &lt;i&gt;" in shown  # pseudonyms are data
    # each family's median future, run through the models, beside the trend
    expected = engine.run([fams[0].scenario()])
    cell = re.search(r'data-variable="Population" data-year="2030" data-scenario="famille-a" '
                     r'data-value="([^"]+)"', shown)
    assert float(cell.group(1)) == pytest.approx(expected.value("Population", 2030, 0))
    link = html.unescape(re.search(r'data-family="A">.*?href="([^"]+)"', shown).group(1))
    code = re.search(r"futur=([^&]+)", link).group(1)
    assert scenario_from_code(code, engine.levers).levers == fams[0].levers
    assert f"atelier={session.code}" in link


# -- exports ----------------------------------------------------------------------------------


def _three_futures(app, store, engine):
    session = app.open_session("Atelier <i>export</i>")
    submit(store, engine, session.code, "Zoé <i>", f"Vivre chez soi {SCRIPT}",
           participant="p-zoe-4f1c", home_care_share=70)
    submit(store, engine, session.code, "Léo", "Plus de médiation.\n\nEt des jeunes.",
           group="G2", participant="p-leo-9a2b", digital_mediation=1500)
    submit(store, engine, session.code, "Ana", "Un territoire ouvert",
           participant="p-ana-7d3e", net_migration=2000)
    app.poll()
    return session


def test_export_writes_an_iamc_xlsx_that_pyam_reads_back(app, store, engine, var):
    import pyam

    _three_futures(app, store, engine)
    shown = []
    app.export_msg.observe(lambda change: shown.append(change["new"]), "value")
    xlsx, page = app.export()
    assert xlsx.parent == var / "exports" and xlsx.suffix == ".xlsx" and page.suffix == ".html"
    # the facilitator sees where the export is, step by step, then the result
    steps = [re.search(r'data-step="(\d)">([^<]+)<', v).groups() for v in shown[:-1]]
    assert steps == [("1", "Export en cours (1 sur 3) : calcul des futurs…"),
                     ("2", "Export en cours (2 sur 3) : écriture du tableur…"),
                     ("3", "Export en cours (3 sur 3) : rédaction du rapport…")]
    assert "Export prêt" in shown[-1] and not app.export_button.disabled
    df = pyam.IamDataFrame(xlsx)
    assert set(df.scenario) == {TREND, CONSENSUS, "Zoé <i> (n° 1)", "Léo (n° 2)", "Ana (n° 3)"}
    assert df.model == ["Fabrique 2030"] and df.region == [engine.territory.region]
    assert set(df.variable) == set(engine.variables)
    assert df.year == list(range(2021, 2051))
    expected = engine.run(wb.Scenario("z", levers={"home_care_share": 70}))
    got = df.filter(scenario="Zoé <i> (n° 1)", variable="Ageing|Nursing Home Places",
                    year=2030).data["value"].item()
    assert got == pytest.approx(expected.value("Ageing|Nursing Home Places", 2030))
    # beside the data: a sheet of lever values per future and one of texts, in French
    import pandas as pd

    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert list(sheets) == ["data", "leviers", "textes"]
    levers = sheets["leviers"].set_index("Scénario")
    assert list(levers.index) == [TREND, CONSENSUS, "Zoé <i> (n° 1)", "Léo (n° 2)",
                                  "Ana (n° 3)"]
    registry = engine.levers
    home = next(c for c in levers.columns if c.startswith(registry["home_care_share"].label_fr))
    assert levers.loc["Zoé <i> (n° 1)", home] == 70
    assert levers.loc["Léo (n° 2)", home] == registry["home_care_share"].trend
    assert levers.loc[TREND, home] == registry["home_care_share"].trend
    assert len(levers.columns) == 2 + len(registry)  # pseudonym, group, then every lever
    texts = sheets["textes"].set_index("Scénario")
    assert texts.loc["Léo (n° 2)", "Texte"] == "Plus de médiation.\n\nEt des jeunes."
    assert texts.loc["Léo (n° 2)", "Groupe"] == "G2"
    # pseudonymised: nothing in it ties a future to a person's device or key
    keys = {s.participant for s in store.submissions(app.session.code)} - {""}
    cells = {str(v) for t in sheets.values() for v in [*t.columns, *t.to_numpy().ravel()]}
    assert keys and not {c for c in cells for k in keys if k in c}
    assert list(texts.columns) == ["Pseudonyme", "Groupe", "Envoyé le (heure de Paris)",
                                   "Texte"]
    # the download links carry the same files
    links = dict(re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"',
                            app.export_msg.value))
    assert base64.b64decode(links[xlsx.name]) == xlsx.read_bytes()
    assert base64.b64decode(links[page.name]) == page.read_bytes()
    assert str(xlsx) in html.unescape(app.export_msg.value)
    assert [p.name for p in (var / "exports").iterdir() if p.name.startswith(".")] == []


def test_html_report_is_escaped_self_contained_and_printable(app, store, engine):
    session = _three_futures(app, store, engine)
    subs = store.submissions(session.code)
    # a fixed moment, the 1st of a month (« 1er »), so the test does not depend on the date
    now = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    report = session_report(engine, store.get_session(session.code), subs, now=now)
    assert report.startswith("<!DOCTYPE html>") and '<html lang="fr">' in report
    # participants' texts, pseudonyms, groups and the title: escaped, never as markup
    assert "<script" not in report and "<i>" not in report
    assert "Vivre chez soi &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in report
    assert "Zoé &lt;i&gt;" in report and "Atelier &lt;i&gt;export&lt;/i&gt;" in report
    for sub in subs:
        assert html.escape(sub.text, quote=True) in report
    assert report.count('class="fab-participant"') == 3
    # self-contained: nothing loaded from elsewhere, and no link to another host at all
    for bad in ('src="http', "src='http", 'href="http', "url(http", "@import", "<link",
                "<iframe", "http://", "https://"):
        assert bad not in report, bad
    assert "@media print" in report and "columns: 2" in report  # the futures, two a row
    assert report.count("<svg") == 1 + sum(v.app_chart for v in app.variables)
    # one person moved each lever: too few choices for a verdict, and the consensus leaves
    # the three levers at their trend (a lever nobody moved is « pas d'avis », not an accord)
    assert "Large accord sur" not in report and "Trop peu de choix exprimés" in report
    # in print, the levers too few moved are one sentence, each with how many moved it
    few = html.unescape(re.search(r'<p class="fab-few">(.*?)</p>', report).group(0))
    assert "combien sur 3" in few and "Maintien à domicile (1)" in few
    assert "Médiation numérique (1)" in few and "Fécondité (0)" in few
    assert '<table class="fab-spread">' not in report  # no lever has a verdict
    assert "Le consensus reste au tendanciel." in report
    assert "Consensus du panel" in report and "Tendanciel" in report
    assert "1er décembre 2026 à 10\xa0h\xa005" in report  # French date, Europe/Paris


def test_report_of_an_empty_session(engine, store):
    session = store.create_session("Vide")
    report = session_report(engine, session, [])
    assert "aucun futur reçu" in report and "Aucun futur n'a été reçu" in report
    assert "@media print" in report


def test_notebook_is_thin_and_reads_the_request_after_building():
    import json

    from .conftest import ROOT

    nb = json.loads((ROOT / "apps" / "pleniere.ipynb").read_text(encoding="utf-8"))
    first, second = ("".join(c["source"]) for c in nb["cells"])
    assert "app = pleniere()" in first and first.rstrip().endswith("app.widget")
    assert second.startswith("app.apply_request()")
    assert all(c["outputs"] == [] for c in nb["cells"])


def test_builder_never_raises(monkeypatch):
    """A failure while building gives the French failure page (no traceback)."""
    monkeypatch.setattr(P, "Pleniere", lambda engine=None: 1 / 0)
    app = P.pleniere()
    assert "Le calcul n'a pas pu être affiché" in html.unescape(app.widget.children[1].value)
    app.apply_request()
    assert os.environ.get(P.TOKEN_ENV) is None


def test_the_room_status_is_shown_in_french(app):
    app.show_room({"ready": True, "message_fr": "Salle prête : 55 postes sur 55", "in_use": 4,
                   "connectes": 3})
    shown = html.unescape(app.room_html.value).replace("\xa0", " ")
    assert "Salle prête : 55 postes sur 55" in shown and "3 participants connectés" in shown
    app.show_room({"ready": True, "message_fr": "Salle prête : 55 postes sur 55", "in_use": 1,
                   "connectes": 1})
    assert "1 participant connecté<" in app.room_html.value
    app.show_room(None)
    assert app.room_html.value == ""


def test_room_status_outside_the_workshop_server_is_none(monkeypatch):
    monkeypatch.delenv("FABRIQUE_ROOM_STATUS_URL", raising=False)
    assert P.room_status() is None
    monkeypatch.setenv("FABRIQUE_ROOM_STATUS_URL", "http://127.0.0.1:9/fabrique/salle")
    assert P.room_status(timeout=0.5) is None  # nothing listens: no error either


def test_the_projected_qr_code_encodes_the_public_join_link(app, monkeypatch):
    import segno

    monkeypatch.setenv("FABRIQUE_PUBLIC_URL", "http://192.168.1.20:8866/")
    session = app.open_session("Atelier QR")
    link = f"http://192.168.1.20:8866/voila/render/atelier.ipynb?atelier={session.code}"
    shown = app.join_html.value
    assert 'class="fab-qr"' in shown and "Scannez pour participer" in shown
    # the drawn modules are exactly those of this link's QR code (not 127.0.0.1, no token)
    path = re.search(r'class="qrline"[^>]*d="([^"]+)"', shown).group(1)
    expected = segno.make(link, error="m").svg_inline(scale=5, border=4)
    assert f'd="{path}"' in expected
    other = segno.make(link.replace("192.168.1.20", "127.0.0.1"), error="m").svg_inline(
        scale=5, border=4)
    assert f'd="{path}"' not in other
    assert "jeton" not in shown and "http" not in shown.split('class="fab-qr"')[1]


def test_no_qr_code_for_a_link_a_phone_cannot_open():
    from workbench.app.pleniere import join_qr

    assert join_qr("/voila/render/atelier.ipynb?atelier=ABC") == ""
    assert join_qr("http://10.0.0.5:8866/x").startswith('<div class="fab-qr"')


def test_the_phase_timer_says_how_long_once_and_the_page_counts(app, store, engine):
    timer = app.timer
    assert timer.start(minutes=3) is None  # no session yet: said in French
    assert "Ouvrez d'abord un atelier" in html.unescape(timer.display.value)
    session = app.open_session("Minuteur")
    assert timer.display.value == "" and timer.stop_button.disabled
    run = timer.start(minutes=3, phase="Explorer <b>les leviers</b>")
    shown = timer.display.value
    assert f'data-run="{run}"' in shown and re.search(r'data-seconds="1(80|79)"', shown)
    assert 'role="timer"' in shown and re.search(r"(3\xa0min 00|2\xa0min 59)\xa0s", shown)
    assert "&lt;b&gt;les leviers&lt;/b&gt;" in shown and "<b>" not in shown  # escaped
    assert not timer.stop_button.disabled
    kept = store.phase(session.code)  # kept by the store, for a reload and the phones
    assert (kept.name, kept.seconds, kept.run) == ("Explorer <b>les leviers</b>", 180, run)
    # a reloaded Plénière finds it running
    again = P.Pleniere(engine, store=store)
    assert again.apply_query(f"jeton={P.facilitator_token()}")
    again.select_session(session.code)
    assert again.timer.run == run and 'data-run="' + str(run) in again.timer.display.value
    assert timer.start(minutes=10) > run  # a restart is a new countdown for the page
    assert re.search(r'data-seconds="(600|599)"', timer.display.value)
    timer.stop()
    assert timer.display.value == "" and timer.run is None and timer.stop_button.disabled
    assert store.phase(session.code) is None
    assert timer.start(phase="Pause\u202e") is None  # a bidi control: refused in French
    assert "caractères invisibles ou de contrôle" in html.unescape(timer.display.value)


def test_the_spotlight_projects_one_future_then_the_consensus(app, store, engine):
    _three_futures(app, store, engine)
    spot = app.spotlight
    assert spot.widget.layout.display == "none"
    zoe = next(s for s in app.submissions if s.pseudonym == "Zoé <i>")
    check, row = app.rows[zoe.id]
    (button,) = [w for w in row.children if isinstance(w, W.Button)]
    assert button.description == "Projeter"
    button.click()
    body = spot.body.value
    assert spot.widget.layout.display == "flex" and spot.shown == "Zoé <i> (n° 1)"
    assert "Zoé &lt;i&gt;" in body and "<i>" not in body  # escaped, as everywhere
    assert "Vivre chez soi &lt;script&gt;" in body and "<script" not in body
    assert body.count("<svg") == 4 and 'data-scenario="Zoé &lt;i&gt; (n° 1)"' in body
    assert engine.levers["home_care_share"].label_fr in body  # what it changes
    assert "ce futur" in body  # the legend names the thick line
    app.spot_consensus.click()
    assert spot.shown == "consensus" and "Le futur de consensus du panel" in spot.body.value
    spot.close_button.click()
    assert spot.widget.layout.display == "none" and spot.body.value == ""
    button.click()
    app.open_session("Une autre séance")  # another session: nothing of this one projected
    assert spot.widget.layout.display == "none"


def test_comparing_futures_draws_them_against_the_trend_not_only_a_table(app, store, engine):
    _three_futures(app, store, engine)
    assert "fab-compare-charts" not in app.compare_html.value  # nothing ticked: a hint
    zoe, leo = (s.id for s in app.submissions[:2])
    app.set_chosen([zoe, leo])
    shown = app.compare_html.value
    charts = shown.split('<div class="fab-table-wrap">')[0]  # the charts come first
    assert charts.count("<svg") == sum(v.app_chart for v in app.variables)
    # each future its line, its colour and dash, its name in the legend (escaped)
    assert "Zoé &lt;i&gt;" in charts and "<i>" not in charts and "Léo" in charts
    assert charts.count("<title>Zoé &lt;i&gt; (n° 1)</title>") == charts.count("<svg")
    assert 'stroke-dasharray="10 4"' in charts and "fab-line-1" in charts
    assert "<table" in shown  # and the numbers still below


# -- the projector mode --------------------------------------------------------------------


def test_the_projector_shows_one_view_at_a_time_and_the_levers_by_pages(app, store, engine):
    """« Mode projecteur »: the root's classes say which view is shown (pleniere.css hides
    the other parts); the chart and the agreement table show a page of at most 8 levers,
    with the verdicts in a few words; leaving gives the desk its whole chart and table."""
    from workbench.app.projector import PAGE, VIEW_IDS, pages

    session = app.open_session("Projeté")
    submit(store, engine, session.code, "Zoé", home_care_share=70)
    submit(store, engine, session.code, "Léo", home_care_share=75)
    app.refresh()
    n = len(engine.levers)
    whole = app.chart.figure.height
    assert app.spread_html.value.count("<tr data-lever=") == n
    app.projector.enter()
    classes = app.widget._dom_classes
    assert "fab-projector" in classes and "fab-show-rejoindre" in classes
    assert app.projector.nav.value == "rejoindre"
    first = pages(app.levers)[0]
    assert len(first) <= PAGE and app.chart.figure.height < whole
    assert app.spread_html.value.count("<tr data-lever=") == len(first)
    assert "Trop peu d'avis" in app.spread_html.value or "accord" in app.spread_html.value
    app.projector.nav.value = "accord"  # the bar, as a click
    assert app.widget._dom_classes.count("fab-show-accord") == 1
    assert not any(c == "fab-show-rejoindre" for c in app.widget._dom_classes)
    for _ in range(len(pages(app.levers))):  # round the pages, back to the first
        app.projector.turn(1)
    assert app.projector.page == 0 and "Curseurs 1 à" in app.projector.page_label.value
    app.projector.turn(-1)
    last = pages(app.levers)[-1]
    shown = [row for row in app.spread_html.value.split("<tr data-lever=")[1:]]
    assert [r.split('"')[1] for r in shown] == [lv.id for lv in last]
    app.projector.leave()
    assert not any(c.startswith("fab-show-") or c == "fab-projector"
                   for c in app.widget._dom_classes)
    assert app.chart.figure.height == whole
    assert app.spread_html.value.count("<tr data-lever=") == n
    # every part of the session belongs to a known view, or to the desk alone
    marks = {c[len("fab-in-"):] for w in app.session_box.children for c in w._dom_classes
             if c.startswith("fab-in-")}
    assert marks == set(VIEW_IDS)
    with pytest.raises(ValueError):
        app.projector.show("salle")


def test_pages_of_levers_are_balanced_and_keep_the_order():
    from workbench.app.projector import pages

    for n in (1, 7, 8, 9, 16, 17, 31, 40):
        cut = pages(list(range(n)))
        assert [x for p in cut for x in p] == list(range(n))
        assert max(map(len, cut)) <= 8 and max(map(len, cut)) - min(map(len, cut)) <= 1
    assert pages([]) == [[]]
