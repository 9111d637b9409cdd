"""French formatting for everything participants read: ``146 856``, ``8,1 %``, ``−7,3 points``
(narrow no-break space as thousands separator and before ``%``, decimal comma, true minus
sign, no-break space before ``: ; ! ?``), and the French names of the codelist's units."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .levers import Lever

NNBSP = "\u202f"  # espace fine insécable: thousands separator, before "%"
NBSP = "\u00a0"
MINUS = "\u2212"

# Codelist units are IAMC (English); participants read French.
UNITS_FR = {
    "persons": "personnes",
    "persons/yr": "personnes par an",
    "households": "ménages",
    "dwellings": "logements",
    "places": "places",
    "%": "%",
    "hours/yr": "heures par an",
    "years": "ans",
    "persons/household": "personnes par ménage",
    "°C": "°C",
    "days/yr": "jours par an",
    "degree-day/yr": "degrés-jours par an",
    "person-days/yr": "personnes-jours par an",
    "ha": "hectares",
    "ha/yr": "hectares par an",
    "dwellings/yr": "logements par an",
    "Mm3/yr": "millions de m³ par an",
    "kt CO2e/yr": "milliers de tonnes de CO2e par an",
    "Mt CO2e": "millions de tonnes de CO2e",
    "index (2021 = 100)": "indice, 100 = niveau de 2021",
    "GWh/yr": "GWh par an",
    "M EUR/yr": "millions d'euros par an",
    "M EUR": "millions d'euros",
    "MWp": "MWc",
    "million vkm/yr": "millions de km en voiture par an",
}


def unit_fr(unit: str) -> str:
    """The French reading of a codelist unit (the unit itself when unknown)."""
    return UNITS_FR.get(unit, unit)


def format_number(x: float | None, decimals: int = 0, signed: bool = False) -> str:
    """``146856.4`` → ``146 856``; ``8.13, 1`` → ``8,1``; ``signed`` adds ``+`` to positive
    numbers. Missing or non-finite values read ``n.d.`` (non disponible)."""
    if x is None or not math.isfinite(float(x)):
        return "n.d."
    rounded = round(float(x), decimals)
    text = f"{abs(rounded):,.{decimals}f}".replace(",", NNBSP).replace(".", ",")
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


def format_value(x: float | None, unit: str, decimals: int = 0) -> str:
    """A number as shown in a table cell: percentages carry their ``%`` sign."""
    text = format_number(x, decimals)
    return f"{text}{NNBSP}%" if unit == "%" and text != "n.d." else text


def format_with_unit(x: float | None, unit: str, decimals: int = 0) -> str:
    """A number with its French unit: ``146 856 personnes``, ``8,1 %``."""
    if unit == "%" or format_number(x) == "n.d.":
        return format_value(x, unit, decimals)
    return f"{format_number(x, decimals)}{NBSP}{unit_fr(unit)}"


def format_percent(x: float | None, decimals: int = 0, signed: bool = True) -> str:
    """A share or change already in percent: ``−22 %``."""
    text = format_number(x, decimals, signed)
    return text if text == "n.d." else f"{text}{NNBSP}%"


def format_change(before: float, after: float, unit: str, decimals: int = 0) -> str:
    """A change: in points for a percentage (``−7,3 points``), else relative (``+5,1 %``)."""
    if unit == "%":
        diff = round(after - before, max(decimals, 1))
        text = format_number(diff, max(decimals, 1), signed=True)
        return f"{text}{NBSP}point{'s' if abs(diff) >= 2 else ''}"
    if not before or not math.isfinite(before) or not math.isfinite(after):
        return "n.d."
    return format_percent((after / before - 1) * 100, 1)


def french_spacing(text: str) -> str:
    """No line break before « : ; ! ? » nor after «: the spaces become no-break ones."""
    text = re.sub(r" +([:;!?»])", NBSP + r"\1", text)
    return re.sub(r"« +", "«" + NBSP, text)


def cut_at_word(text: str, limit: int) -> str:
    """The start of ``text`` up to ``limit`` characters, cut before a word rather than in
    it (no ellipsis: the caller says what follows).

    >>> cut_at_word("Des bus le soir et des vélos", 12)
    'Des bus le'
    """
    return text[:limit].rsplit(" ", 1)[0].rstrip() or text[:limit]


def decimals_for(unit: str, value: float) -> int:
    """How many decimals a participant needs: one for shares, two below ten, else none."""
    if unit == "%":
        return 1
    return 2 if abs(value) < 10 else 0


# -- lever values, dates and people: for the pages, the report and the exports -------------

PARIS = ZoneInfo("Europe/Paris")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


def decimals(unit: str) -> int:
    """Decimals shown for an indicator, as in Atelier 2030's cards."""
    return 1 if unit == "%" else 2 if unit == "persons/household" else 0


def lever_value(lv: Lever, value: float) -> str:
    """A lever value with its French unit and the step's decimals: ``1,85 enfants par femme``."""
    nd = max(0, -math.floor(math.log10(lv.step))) if lv.step < 1 else 0
    number = format_number(value, nd)
    return f"{number}{NNBSP}%" if lv.unit_fr == "%" else f"{number}\u00a0{lv.unit_fr}"


def lever_range(lv: Lever, low: float, high: float) -> str:
    """``de 1,50 à 2,20 enfants par femme``; ``tous : 59 %`` when everyone chose the same."""
    if low == high:
        return f"tous : {lever_value(lv, low)}"
    nd = max(0, -math.floor(math.log10(lv.step))) if lv.step < 1 else 0
    return f"de {format_number(low, nd)} à {lever_value(lv, high)}"


def paris_time(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(PARIS)


def time_fr(moment: datetime) -> str:
    """``14 h 05`` (Europe/Paris)."""
    t = paris_time(moment)
    return f"{t.hour}\u00a0h\u00a0{t.minute:02d}"


def date_fr(moment: datetime, with_time: bool = True) -> str:
    """``21 novembre 2026 à 14 h 05`` (Europe/Paris)."""
    t = paris_time(moment)
    day = "1er" if t.day == 1 else str(t.day)
    text = f"{day} {MONTHS_FR[t.month - 1]} {t.year}"
    return f"{text} à {time_fr(t)}" if with_time else text


def who(sub) -> str:
    """« pseudonyme (groupe) », unescaped: escape when putting it into HTML."""
    return f"{sub.pseudonym} ({sub.group})" if sub.group else sub.pseudonym
