"""Formula injection (OWASP "CSV Injection"): a participant's pseudonym or a scenario's name
becomes a spreadsheet cell. Nothing written to .xlsx or .csv may start a formula, and the
files still read back through pyam."""

from __future__ import annotations

import csv
import re
import uuid
import zipfile

import pytest

import workbench as wb
from workbench.app import pleniere as P
from workbench.results import FORMULA_START, neutralise_cell
from workbench.store import Store

from ..conftest import run_cli

HOSTILE = ['=HYPERLINK("http://ev.il","X")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tTab", "\rRetour"]


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _cells_are_inert(values) -> None:
    """No text cell starts a formula (numbers such as -0.31 are numbers, not text)."""
    for value in values:
        if isinstance(value, str) and not _is_number(value):
            assert not value.startswith(FORMULA_START), repr(value)


def test_the_rule():
    assert neutralise_cell('=HYPERLINK("x")') == "'=HYPERLINK(\"x\")"
    for start in FORMULA_START:
        assert neutralise_cell(start + "x") == "'" + start + "x"
    for inert in ("Zoé", "Tendanciel", "'=déjà neutre", "", " =espace"):
        assert neutralise_cell(inert) == inert
    assert neutralise_cell(-3.5) == -3.5 and neutralise_cell(None) is None


def test_the_pleniere_export_holds_no_formula_and_round_trips(engine, tmp_path, monkeypatch):
    import pyam

    monkeypatch.setenv("FABRIQUE_VAR", str(tmp_path / "var"))
    monkeypatch.delenv(P.TOKEN_ENV, raising=False)
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    app = P.Pleniere(engine, store=store)
    assert app.apply_query(f"jeton={P.facilitator_token()}", "", "")
    session = app.open_session("Atelier piégé")
    subs = []
    for name in HOSTILE[:4]:  # the store refuses control characters in pseudonyms
        subs.append(store.submit(session.code, name, engine.levers.trend_values(),
                                 f"{name} https://exemple.test",
                                 share_code="F1x", model_version=wb.__version__,
                                 territory="grand-chambery", key=uuid.uuid4().hex))
    # a text that is only an address: a text cell still, never a link to follow
    store.submit(session.code, "Lien", engine.levers.trend_values(), "https://exemple.test/x",
                 share_code="F1x", model_version=wb.__version__, territory="grand-chambery",
                 key=uuid.uuid4().hex)
    xlsx, _ = app.export()
    with zipfile.ZipFile(xlsx) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            assert "<f>" not in z.read(name).decode()  # no formula anywhere
        shared = z.read("xl/sharedStrings.xml").decode() if \
            "xl/sharedStrings.xml" in z.namelist() else ""
    df = pyam.IamDataFrame(xlsx)  # round-trips: no empty scenario cell
    expected = {neutralise_cell(f"{s.pseudonym} (n° {s.id})") for s in subs}
    assert expected <= set(df.scenario)
    _cells_are_inert(df.scenario)
    import pandas as pd

    texts = pd.read_excel(xlsx, sheet_name="textes")  # the texts' sheet, as typed but inert
    _cells_are_inert(texts["Texte"])
    _cells_are_inert(texts["Pseudonyme"])
    with zipfile.ZipFile(xlsx) as z:
        assert not [n for n in z.namelist() if "hyperlink" in n.lower()
                    or n.endswith(".rels") and "hyperlink" in z.read(n).decode()]
    if shared:
        assert "&apos;=HYPERLINK" in shared or "'=HYPERLINK" in shared


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_cli_writes_no_formula(tmp_path, suffix):
    import pyam

    for i, name in enumerate(HOSTILE):
        f = tmp_path / f"s{i}.yaml"
        quoted = name.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") \
            .replace("\r", "\\r")
        f.write_text(f'name: "{quoted}"\nlevers:\n  home_care_share: 70\n', encoding="utf-8")
        target = tmp_path / f"out{i}{suffix}"
        out = run_cli("run", str(f), "-o", str(target))
        if out.returncode != 0:  # refused at the door is fine too, with its one-line message
            assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
            assert not target.exists()
            continue
        if suffix == ".csv":
            with open(target, newline="", encoding="utf-8") as fh:
                for row in csv.reader(fh):
                    _cells_are_inert(row)
        else:
            with zipfile.ZipFile(target) as z:
                for member in z.namelist():
                    if member.startswith("xl/worksheets/"):
                        assert not re.search(r"<f>", z.read(member).decode())
        df = pyam.IamDataFrame(target)
        # (the scenario loader strips the name's surrounding whitespace)
        assert list(df.scenario) == [neutralise_cell(name.strip())]
