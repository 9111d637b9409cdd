"""The reference-scenarios page as widgets (no browser): content, French number formatting,
escaping, the failure message, logging off the page, and the installed Voilà template."""

from __future__ import annotations

import filecmp
import logging
import math
import os
import sys

import ipywidgets as widgets
import pytest
from jupyter_core.paths import jupyter_path

from workbench.app import overview as ov
from workbench.app.overview import FAILURE_FR, ServerLogHandler, reference_overview
from workbench.format import (
    MINUS,
    NBSP,
    NNBSP,
    format_change,
    format_number,
    format_value,
    french_spacing,
)

from .conftest import ROOT


def html_of(widget: widgets.Widget) -> str:
    """Every HTML value in a widget tree."""
    out = []
    if isinstance(widget, widgets.HTML):
        out.append(widget.value)
    for child in getattr(widget, "children", ()):
        out.append(html_of(child))
    return "\n".join(out)


def cards(widget: widgets.Widget) -> list[str]:
    (grid,) = [c for c in widget.children if isinstance(c, widgets.GridBox)]
    return [c.value for c in grid.children]


# --- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize("x, decimals, expected", [
    (139738.00000000003, 0, f"139{NNBSP}738"),
    (146856.4, 0, f"146{NNBSP}856"),
    (8.1302, 1, "8,1"),
    (1234567.891, 2, f"1{NNBSP}234{NNBSP}567,89"),
    (999.6, 0, f"1{NNBSP}000"),
    (12, 0, "12"),
    (0, 1, "0,0"),
    (-0.04, 1, "0,0"),  # no "−0,0"
    (-1500.4, 0, f"{MINUS}1{NNBSP}500"),
    (math.nan, 0, "n.d."),
    (math.inf, 1, "n.d."),
])
def test_format_number(x, decimals, expected):
    assert format_number(x, decimals) == expected


def test_format_value_and_change():
    assert format_value(8.1302, "%", 1) == f"8,1{NNBSP}%"
    assert format_value(139738, "persons") == f"139{NNBSP}738"
    assert format_value(math.nan, "%", 1) == "n.d."
    assert format_change(139738, 146856, "persons") == f"+5,1{NNBSP}%"
    assert format_change(1085, 827, "places") == f"{MINUS}23,8{NNBSP}%"
    assert format_change(15.41, 8.13, "%", 1) == f"{MINUS}7,3{NBSP}points"
    assert format_change(8.0, 9.5, "%", 1) == f"+1,5{NBSP}point"
    assert format_change(0, 5, "persons") == "n.d."


def test_french_spacing():
    assert french_spacing("Ils disent : « oui » ; non ?") == (
        f"Ils disent{NBSP}: «{NBSP}oui{NBSP}»{NBSP}; non{NBSP}?")


# --- the page -------------------------------------------------------------------------------


def test_overview_shows_reference_scenarios_in_french(engine, refs):
    page = reference_overview(engine)
    assert isinstance(page, widgets.VBox)
    assert "fab2030" in page._dom_classes
    text = html_of(page)
    assert "<h1>Fabrique 2030 — les futurs de référence en 2030</h1>" in text
    got = cards(page)
    assert len(got) == len(refs) == 3
    for card, scenario in zip(got, refs.values(), strict=True):
        assert f"<h2>{scenario.title}</h2>" in card
        assert f"<td>139{NNBSP}738</td>" in card  # Population 2021
        for label in ("Population", "75 ans ou plus", "Ménages", "Logements nécessaires",
                      "Places en EHPAD nécessaires", "Part en illectronisme"):
            assert label in card
        assert "(personnes)" in card
        assert f"{NNBSP}%</td>" in card
    assert FAILURE_FR.split(".")[0] not in text


def test_everything_shown_is_escaped(tmp_path, monkeypatch, engine):
    (tmp_path / "tendanciel.yaml").write_text(
        "name: tendanciel\n"
        "title: '<b>Tendanciel</b> & co'\n"
        "description: 'Avant <script>alert(1)</script> après \"guillemets\"'\n"
        "levers: {}\n", encoding="utf-8")
    monkeypatch.setenv("FABRIQUE_SCENARIOS", str(tmp_path))
    text = html_of(reference_overview(engine))
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;Tendanciel&lt;/b&gt; &amp; co" in text
    assert "&quot;guillemets&quot;" in text


def test_failure_gives_french_message_and_logs_details(capsys):
    class BrokenEngine:
        @property
        def levers(self):
            raise RuntimeError("secret detail for analysts")

    page = reference_overview(BrokenEngine())
    text = html_of(page)
    assert "Le calcul n&#x27;a pas pu être affiché" in text
    assert 'role="alert"' in text
    assert "secret detail" not in text and "Traceback" not in text
    err = capsys.readouterr().err
    assert "reference_overview failed" in err and "Traceback" in err
    assert "secret detail for analysts" in err


def test_workbench_error_adds_its_french_message(tmp_path, monkeypatch, engine):
    (tmp_path / "bad.yaml").write_text("name: bad\nlevers: {no_such_lever: 1}\n",
                                       encoding="utf-8")
    monkeypatch.setenv("FABRIQUE_SCENARIOS", str(tmp_path))
    text = html_of(reference_overview(engine))
    assert "Le calcul n&#x27;a pas pu être affiché" in text
    assert "Levier inconnu" in text
    assert "bad.yaml" not in text  # the analyst's detail (file) stays in the log


def test_server_log_handler_bypasses_a_kernels_forwarded_stderr(tmp_path, monkeypatch):
    """In a kernel, sys.stderr goes to the page; the handler writes to ipykernel's copy of
    the original descriptor (the Voilà server's log) instead."""
    written = []

    class KernelStderr:
        def __init__(self, fd):
            self._original_stdstream_copy = fd

        def write(self, s):
            written.append(s)

        def flush(self):
            pass

    log_file = tmp_path / "server.log"
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT)
    try:
        monkeypatch.setattr(sys, "stderr", KernelStderr(fd))
        record = logging.LogRecord("workbench.app.x", logging.ERROR, __file__, 1,
                                   "boom %s", ("é",), None)
        ServerLogHandler().handle(record)
    finally:
        os.close(fd)
    assert log_file.read_text(encoding="utf-8") == "boom é\n"
    assert written == []
    assert logging.getLogger("workbench.app").propagate is False
    assert any(isinstance(h, ServerLogHandler)
               for h in logging.getLogger("workbench.app").handlers)


def test_module_exports():
    assert set(ov.__all__) <= set(dir(ov))


# --- the Voilà template the workshop server uses ----------------------------------------------


def test_installed_voila_template_is_current():
    """voila.json selects the "fabrique" template; Voilà finds it only in the Jupyter data
    path, where `pip install -e .` copies share/jupyter/voila/templates/fabrique."""
    repo = ROOT / "share" / "jupyter" / "voila" / "templates" / "fabrique"
    found = [os.path.join(d, "voila", "templates", "fabrique") for d in jupyter_path()]
    found = [d for d in found if os.path.isdir(d) and os.path.realpath(d) != str(repo)]
    assert found, ("the 'fabrique' Voilà template is not installed: run "
                   "`pip install -e .` (or `make install`)")
    names = sorted(p.name for p in repo.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(repo, found[0], names, shallow=False)
    assert not mismatch and not errors, (
        f"{found[0]} is out of date ({mismatch + errors}): run `pip install -e .`")
