"""The lever registry: one definition per lever (``workbench/levers_registry/*.yaml``, one
file per model, read in file-name order), merged with the territory's trend value
("tendanciel") and its source (the territory's ``levers*.csv``).

Action levers are what the territory chooses; context assumptions are what it does not
choose. Both are moved the same way, but apps show them apart."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import yaml

from .errors import DataError, ScenarioError
from .paths import LEVERS_DIR
from .territory import DEFAULT_TERRITORY, Territory, load_territory

if TYPE_CHECKING:  # pandas is imported where it is used: an atelier kernel never loads it
    import pandas as pd

KINDS = ("action", "context")


@dataclass(frozen=True)
class Lever:
    """One lever: what it means, its range and step, and its trend value with the source."""

    id: str
    code: int  # stable small integer used by share codes; never reused
    kind: str  # "action" or "context"
    theme: str
    label_fr: str
    label_en: str
    help_fr: str
    help_en: str
    unit_fr: str
    unit_en: str
    min: float
    max: float
    step: float
    trend: float
    source_id: str
    advanced: bool = False  # a finer setting: the atelier shows it folded, under its theme

    def steps(self, value: float) -> int:
        """The whole number of steps ``value`` stands for (value = steps × step)."""
        return round(value / self.step)

    def from_steps(self, n: int) -> float:
        # Rounded to the step's decimals so that decoding gives the same float as the YAML.
        decimals = max(0, -math.floor(math.log10(self.step)) + 2)
        return round(n * self.step, decimals)

    def check(self, value: object, where: str | None = None) -> float:
        """Return ``value`` as a float on the lever's grid, or raise a ScenarioError that names
        the lever and its allowed range."""
        rng = f"[{_fmt(self.min)}, {_fmt(self.max)}] {self.unit_en}"
        rng_fr = f"entre {_fr(self.min)} et {_fr(self.max)} {self.unit_fr}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(
                f"lever '{self.id}': {str(value)[:40]!r} is not a number (allowed range {rng})",
                f"« {self.label_fr} » : la valeur doit être un nombre {rng_fr}.",
                source=where,
            )
        try:
            v = float(value)
        except OverflowError:  # an integer of thousands of digits
            v = math.inf
        if not math.isfinite(v):
            raise ScenarioError(
                f"lever '{self.id}': {str(value)[:40]!r} is not a finite number "
                f"(allowed range {rng})",
                f"« {self.label_fr} » : la valeur doit être un nombre {rng_fr}.",
                source=where,
            )
        tol = 1e-9 * max(1.0, abs(self.max), abs(self.min))
        if v < self.min - tol or v > self.max + tol:
            raise ScenarioError(
                f"lever '{self.id}': {_fmt(v)} is out of range {rng}",
                f"« {self.label_fr} » : {_fr(v)} est hors limites ; choisir {rng_fr}.",
                source=where,
            )
        snapped = self.from_steps(self.steps(v))
        if abs(snapped - v) > 1e-6 * self.step:
            raise ScenarioError(
                f"lever '{self.id}': {_fmt(v)} is not a multiple of the step {_fmt(self.step)}",
                f"« {self.label_fr} » : la valeur doit suivre le pas de {_fr(self.step)}.",
                source=where,
            )
        return snapped


def _fmt(x: float) -> str:
    return f"{x:g}"


def _fr(x: float) -> str:
    return f"{x:g}".replace("-", "\u2212").replace(".", ",")


class LeverRegistry(Mapping[str, Lever]):
    """All levers of a territory, in registry order (grouped by theme)."""

    def __init__(self, levers: list[Lever], themes: dict[str, dict[str, str]]):
        self._levers = {lv.id: lv for lv in levers}
        self.themes = themes

    def __getitem__(self, key: str) -> Lever:
        return self._levers[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._levers)

    def __len__(self) -> int:
        return len(self._levers)

    def by_code(self) -> dict[int, Lever]:
        return {lv.code: lv for lv in self._levers.values()}

    def trend_values(self) -> dict[str, float]:
        return {k: lv.trend for k, lv in self._levers.items()}

    def of_kind(self, kind: str) -> list[Lever]:
        return [lv for lv in self._levers.values() if lv.kind == kind]

    def table(self, lang: str = "en") -> pd.DataFrame:
        """One row per lever: the table the CLI and the docs print."""
        import pandas as pd

        rows = []
        for lv in self._levers.values():
            rows.append({
                "id": lv.id, "kind": lv.kind, "theme": lv.theme,
                "label": lv.label_fr if lang == "fr" else lv.label_en,
                "unit": lv.unit_fr if lang == "fr" else lv.unit_en,
                "min": lv.min, "max": lv.max, "step": lv.step, "trend": lv.trend,
                "source_id": lv.source_id,
            })
        return pd.DataFrame(rows)


@cache
def _definitions() -> dict:
    """Themes and levers of every registry file, in file-name order."""
    themes: dict = {}
    levers: list = []
    for f in sorted(LEVERS_DIR.glob("*.yaml")):
        spec = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for k, v in (spec.get("themes") or {}).items():
            if k in themes and themes[k] != v:
                raise DataError(f"{f}: theme '{k}' defined differently in another file")
            themes[k] = v
        for d in spec.get("levers") or []:
            levers.append({**d, "_file": f.name})
    ids = [d["id"] for d in levers]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise DataError(f"{LEVERS_DIR}: levers defined twice: {dup}")
    return {"themes": themes, "levers": levers}


@cache
def load_levers(territory: str | Territory = DEFAULT_TERRITORY) -> LeverRegistry:
    """The registry for a territory: definitions merged with the territory's trend values."""
    import pandas as pd

    terr = territory if isinstance(territory, Territory) else load_territory(territory)
    spec = _definitions()
    trends = terr.tables("levers").set_index("lever_id")
    levers, codes = [], set()
    for d in spec["levers"]:
        if d["id"] not in trends.index:
            raise DataError(f"{terr.path / 'levers.csv'}: no trend value for lever '{d['id']}'")
        if d["kind"] not in KINDS or d["theme"] not in spec["themes"]:
            raise DataError(f"{LEVERS_DIR / d['_file']}: lever '{d['id']}' has a bad kind or "
                            "theme")
        if d["code"] in codes:
            raise DataError(f"{LEVERS_DIR / d['_file']}: code {d['code']} used twice")
        codes.add(d["code"])
        t = trends.loc[d["id"]]
        # a territory may narrow or widen the range (and the step) of levers counted in persons
        lo, hi, step = (float(t[k]) if k in t and pd.notna(t[k]) else float(d[k])
                        for k in ("min", "max", "step"))
        lv = Lever(
            id=d["id"], code=int(d["code"]), kind=d["kind"], theme=d["theme"],
            label_fr=d["label"]["fr"], label_en=d["label"]["en"],
            help_fr=d["help"]["fr"], help_en=d["help"]["en"],
            unit_fr=d["unit"]["fr"], unit_en=d["unit"]["en"],
            min=lo, max=hi, step=step, trend=float(t["trend"]),
            source_id=str(t["source_id"]), advanced=bool(d.get("advanced", False)),
        )
        if not (lv.min < lv.max and lv.step > 0):
            raise DataError(f"{LEVERS_DIR}: lever '{lv.id}' has a bad range or step")
        try:
            lv.check(lv.trend)
            lv.check(lv.min)
            lv.check(lv.max)
        except ScenarioError as err:
            raise DataError(f"{terr.path / 'levers.csv'}: trend or bounds: {err}") from err
        levers.append(lv)
    extra = sorted(set(trends.index) - {d["id"] for d in spec["levers"]})
    if extra:
        raise DataError(f"{terr.path / 'levers.csv'}: levers not in the registry: {extra}")
    order = list(spec["themes"])
    levers.sort(key=lambda lv: order.index(lv.theme))  # stable: registry order inside a theme
    return LeverRegistry(levers, spec["themes"])
