"""The indicators codelist (``indicators/variable/*.yaml``, IAMC ``nomenclature`` format)
and the targets file (``indicators/targets.yaml``). Read by the engine for units, by the
apps for labels and by the tests against the models' declarations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .errors import DataError
from .paths import indicators_dir


@dataclass(frozen=True)
class Variable:
    name: str
    unit: str
    description: str
    description_fr: str
    label_fr: str
    model: str
    app_rank: int | None = None  # shown to workshop participants, in this order
    app_chart: bool = False  # and drawn as a chart against the trend scenario
    # the direction that serves the territory's targets and its people ("lower" for the
    # emissions, "higher" for the renewable share…); None where neither is better in
    # itself (population, dwellings needed): such a change is shown, never judged
    better: str | None = None
    # a derived equivalent participants can picture: the value × factor ÷ the population of
    # the same year, in unit_fr (kt CO2e → « t de CO2e par habitant »); None: none shown
    per_inhabitant: tuple[float, str] | None = None

    def judge(self, reference: float, value: float) -> str | None:
        """``"mieux"`` or ``"moins bien"`` for ``value`` against ``reference`` (the trend),
        ``None`` for a variable with no better direction or a change under 0.5 %."""
        if self.better is None or not math.isfinite(reference) or not math.isfinite(value):
            return None
        scale = max(abs(reference), abs(value), 1e-12)
        if abs(value - reference) < 0.005 * scale:
            return None
        up = value > reference
        return "mieux" if up == (self.better == "higher") else "moins bien"


@dataclass(frozen=True)
class Target:
    id: str
    variable: str
    model: str
    year: int
    kind: str  # "max_change" (value ≤ reference × (1+change)), "max", "min"
    value: float
    reference_year: int | None
    label_fr: str
    label_en: str
    explain_fr: str
    source: dict


def _read_codes(folder: Path) -> dict[str, dict]:
    codes: dict[str, dict] = {}
    for f in sorted(folder.glob("*.yaml")):
        for item in yaml.safe_load(f.read_text(encoding="utf-8")) or []:
            ((name, attrs),) = item.items()
            if name in codes:
                raise DataError(f"{f}: variable '{name}' defined twice")
            codes[name] = attrs or {}
    return codes


@cache
def load_codelist(folder: str | None = None) -> dict[str, Variable]:
    """Every output variable, by IAMC name."""
    root = Path(folder) if folder else indicators_dir()
    out = {}
    for name, a in _read_codes(root / "variable").items():
        missing = [k for k in ("unit", "description", "description_fr", "label_fr", "model")
                   if k not in a]
        if missing:
            raise DataError(f"{root / 'variable'}: '{name}' lacks {missing}")
        out[name] = Variable(name, a["unit"], a["description"], a["description_fr"],
                             a["label_fr"], a["model"], a.get("app_rank"),
                             bool(a.get("app_chart", False)), _better(name, a.get("better")),
                             _per_inhabitant(name, a.get("per_inhabitant")))
    return out


def _better(name: str, value) -> str | None:
    if value not in (None, "lower", "higher"):
        raise DataError(f"variable '{name}': better is 'lower' or 'higher', not {value!r}")
    return value


def _per_inhabitant(name: str, value) -> tuple[float, str] | None:
    if value is None:
        return None
    try:
        factor, unit = float(value["factor"]), str(value["unit_fr"])
    except (TypeError, KeyError, ValueError) as err:
        raise DataError(f"variable '{name}': per_inhabitant needs a numeric factor and a "
                        f"unit_fr ({err})") from err
    return factor, unit


def app_variables(codelist: dict[str, Variable], produced: list[str]) -> list[Variable]:
    """The variables the workshop app shows, in ``app_rank`` order, among those produced."""
    shown = [v for v in codelist.values() if v.app_rank is not None and v.name in produced]
    return sorted(shown, key=lambda v: v.app_rank)


@cache
def load_targets(folder: str | None = None) -> list[Target]:
    """The territory's targets (PCAET, TEPOS, ZAN…), each with its source."""
    root = Path(folder) if folder else indicators_dir()
    data = yaml.safe_load((root / "targets.yaml").read_text(encoding="utf-8")) or []
    out = []
    for t in data:
        out.append(Target(
            id=t["id"], variable=t["variable"], model=t["model"], year=int(t["year"]),
            kind=t["kind"], value=float(t["value"]),
            reference_year=t.get("reference_year"), label_fr=t["label"]["fr"],
            label_en=t["label"]["en"], explain_fr=t["explain_fr"], source=t["source"],
        ))
    return out
