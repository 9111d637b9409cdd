"""The target scorecard: each target of ``indicators/targets.yaml`` judged on a scenario's
results, in green / amber / red with a one-line French explanation.

* green: the target is met in its year;
* amber: not met, but the scenario does better than the trend scenario;
* red: not met, and no better than the trend scenario;
* pending: the variable is not produced yet (its model is a later issue), shown in grey."""

from __future__ import annotations

from dataclasses import dataclass

from .codelist import Target, load_codelist, load_targets
from .format import format_percent, format_with_unit
from .results import Results

# models announced by the targets before they exist, named for participants
MODELS_FR = {"energy": "transition énergétique", "climate": "climat",
             "land_use": "usage des sols"}
STATUS_FR = {"green": "atteint", "amber": "en progrès", "red": "non atteint",
             "pending": "bientôt disponible"}


@dataclass(frozen=True)
class Verdict:
    target: Target
    status: str  # green, amber, red, pending
    value: float | None  # the scenario's value (a fraction for max_change targets)
    explain_fr: str


def _measure(t: Target, res: Results, row: int) -> float:
    value = res.value(t.variable, t.year, row)
    if t.kind == "max_change":
        ref = res.value(t.variable, t.reference_year, row)
        return value / ref - 1
    return value


def target_levels(res: Results, variable: str, scenario: str | int = 0
                  ) -> list[tuple[Target, float]]:
    """The territory's targets on ``variable``, each with its level in the variable's own
    unit, to be drawn on a chart at its year: the target's value, or for a ``max_change``
    the reference year's value of ``scenario`` times (1 + change). Targets this result
    cannot place (variable not produced, reference year outside its years) are left out."""
    if variable not in res.data:
        return []
    out = []
    for t in load_targets():
        if t.variable != variable or t.year not in set(res.years):
            continue
        if t.kind == "max_change":
            if t.reference_year not in set(res.years):
                continue
            out.append((t, res.value(variable, t.reference_year, scenario) * (1 + t.value)))
        else:
            out.append((t, t.value))
    return out


def _met(t: Target, x: float) -> bool:
    return x <= t.value + 1e-12 if t.kind in ("max_change", "max") else x >= t.value - 1e-12


def evaluate(res: Results, scenario: str | int, trend: str | int | None = None,
             trend_results: Results | None = None) -> list[Verdict]:
    """Judge every target on ``scenario`` of ``res``; ``trend`` (a row of ``trend_results``,
    default ``res``) is the trend scenario used to tell amber from red."""
    row = res._row(scenario)
    tres = trend_results or res
    out = []
    for t in load_targets():
        if t.variable not in res.data or (t.kind == "max_change"
                                          and t.reference_year not in set(res.years)):
            owner = MODELS_FR.get(t.model, t.model)
            out.append(Verdict(t, "pending", None,
                               f"Indicateur calculé par le futur modèle « {owner} »."))
            continue
        x = _measure(t, res, row)
        better = None if trend is None else _measure(t, tres, tres._row(trend))
        unit = load_codelist()[t.variable].unit
        if t.kind == "max_change":
            shown = (f"{format_percent(100 * x)} en {t.year} par rapport à {t.reference_year} "
                     f"(objectif {format_percent(100 * t.value)})")
        else:
            shown = (f"{format_with_unit(x, unit)} en {t.year} "
                     f"(objectif {format_with_unit(t.value, unit)})")
        if _met(t, x):
            status = "green"
        elif better is not None and ((x < better) if t.kind in ("max_change", "max")
                                     else (x > better)):
            status = "amber"
        else:
            status = "red"
        out.append(Verdict(t, status, x, f"{t.explain_fr} Votre futur : {shown}."))
    return out
