"""A workshop session's export: one spreadsheet and one printable report, written together.

The spreadsheet (``.xlsx``) holds three sheets:

- ``data``: every future received (one per person), the trend and the consensus, in the
  IAMC wide format that pyam reads back (:meth:`workbench.results.Results.write`);
- ``leviers``: the value of every lever in each of those futures, one row each;
- ``textes``: each future's pseudonym, group, moment and text, and nothing that identifies
  the person behind the pseudonym (no participant key, no device, no address).

The report is :func:`workbench.app.report.session_report`. :func:`export_session` tells its
caller where it is (``progress``) so that the Plénière can say it while the room waits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from .format import PARIS, paris_time
from .levers import LeverRegistry
from .panel import (
    CONSENSUS,
    TREND,
    PanelRun,
    ordered_levers,
    run_panel,
    scenario_name,
    submission_values,
)

log = logging.getLogger("workbench.export")

STEPS_FR = ("calcul des futurs", "écriture du tableur", "rédaction du rapport")


def _local(moment: datetime) -> str:
    """``2026-12-04 14:05``, Europe/Paris: a spreadsheet sorts it as it reads."""
    return paris_time(moment).strftime("%Y-%m-%d %H:%M")


def lever_heading(lv) -> str:
    return lv.label_fr if lv.unit_fr == "%" else f"{lv.label_fr} ({lv.unit_fr})"


def lever_sheet(run: PanelRun, subs: Sequence, registry: LeverRegistry):
    """One row per future (its scenario name in ``data``, then the trend and the consensus
    first), one column per lever in the apps' order, headed in French with its unit."""
    import pandas as pd

    levers = ordered_levers(registry)
    trend = {lv.id: lv.trend for lv in levers}
    rows = [(TREND, run.labels[TREND], "", trend),
            (CONSENSUS, run.labels[CONSENSUS], "",
             run.consensus.values(registry) if run.consensus is not None else trend)]
    rows += [(scenario_name(s), s.pseudonym, s.group, submission_values(s, registry))
             for s in subs]
    return pd.DataFrame(
        [{"Scénario": name, "Pseudonyme": who, "Groupe": group,
          **{lever_heading(lv): float(values[lv.id]) for lv in levers}}
         for name, who, group, values in rows])


def text_sheet(subs: Sequence):
    """One row per future: scenario name, pseudonym, group, when it was sent and its text."""
    import pandas as pd

    return pd.DataFrame(
        [{"Scénario": scenario_name(s), "Pseudonyme": s.pseudonym, "Groupe": s.group,
          "Envoyé le (heure de Paris)": _local(s.created), "Texte": s.text} for s in subs],
        columns=["Scénario", "Pseudonyme", "Groupe", "Envoyé le (heure de Paris)", "Texte"])


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically: a temporary file beside it, then a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def export_session(engine, session, subs: Sequence, folder: Path,
                   progress: Callable[[int, int, str], None] | None = None,
                   now: datetime | None = None) -> tuple[Path, Path]:
    """Write ``fabrique2030-<code>-<Paris time>.xlsx`` and ``.html`` of ``session`` with
    the futures ``subs`` (one per person) into ``folder``; ``progress(step, of, what_fr)``
    is called before each of the three steps."""
    from .app.report import session_report  # the report's HTML and SVG, loaded on export

    def step(i: int) -> None:
        if progress is not None:
            progress(i + 1, len(STEPS_FR), STEPS_FR[i])

    now = now or datetime.now(UTC)
    subs = sorted(subs, key=lambda s: s.id)
    folder.mkdir(parents=True, exist_ok=True)
    base = f"fabrique2030-{session.code}-{now.astimezone(PARIS).strftime('%Y%m%d-%H%M%S')}"
    step(0)
    run = run_panel(engine, subs)
    step(1)
    xlsx = run.results.write(folder / f"{base}.xlsx", sheets={
        "leviers": lever_sheet(run, subs, engine.levers), "textes": text_sheet(subs)})
    step(2)
    page = write_text(folder / f"{base}.html", session_report(engine, session, subs, now=now,
                                                              run=run))
    return xlsx, page
