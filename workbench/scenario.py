"""Scenarios: a name, lever values and metadata. Stored as YAML (safe loading only) and as
a compact URL-safe share code that round-trips exactly.

Lever values not given take the territory's trend value, so ``levers: {}`` is the
"tendanciel" scenario."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from . import __version__
from .errors import ScenarioError
from .levers import LeverRegistry, load_levers

MAX_FILE_BYTES = 64 * 1024
MAX_NAME = 80
MAX_TEXT = 4000
ALLOWED_KEYS = {"name", "title", "description", "author", "created", "model_version", "levers"}
SHARE_PREFIX = "F1"  # format version of share codes; bump when a lever's step changes


@dataclass(frozen=True)
class Scenario:
    """A named set of lever values. ``levers`` holds only values that differ from the trend
    or were given explicitly; :meth:`values` gives the full set."""

    name: str
    levers: Mapping[str, float] = field(default_factory=dict)
    title: str = ""
    description: str = ""
    author: str = ""
    created: str = ""
    model_version: str = __version__

    def values(self, registry: LeverRegistry) -> dict[str, float]:
        """Every lever's value: the scenario's own, else the trend."""
        out = registry.trend_values()
        out.update(self.levers)
        return out

    def with_levers(self, **values: float) -> Scenario:
        return replace(self, levers={**self.levers, **values})

    def to_dict(self) -> dict:
        d = {"name": self.name, "title": self.title, "description": self.description,
             "author": self.author, "created": self.created,
             "model_version": self.model_version, "levers": dict(self.levers)}
        return {k: v for k, v in d.items() if v not in ("", None)}

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False, width=90)


def _check_text(value: object, key: str, where: str | None, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float | dt.date):
        raise ScenarioError(f"'{key}' must be text, got {type(value).__name__}",
                            f"Le champ « {key} » doit être du texte.", source=where)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if len(text) > limit:
        raise ScenarioError(f"'{key}' is {len(text)} characters long (at most {limit})",
                            f"Le champ « {key} » dépasse {limit} caractères.", source=where)
    return text


def scenario_from_dict(data: object, registry: LeverRegistry, where: str | None = None) -> Scenario:
    """Build and validate a Scenario from plain data (what YAML gives)."""
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a mapping with 'name' and 'levers'",
                            "Le scénario est mal formé.", source=where)
    unknown = sorted(str(k) for k in data if k not in ALLOWED_KEYS)
    if unknown:
        raise ScenarioError(f"unknown keys {unknown} (allowed: {sorted(ALLOWED_KEYS)})",
                            "Le scénario contient des champs inconnus.", source=where)
    name = _check_text(data.get("name"), "name", where, MAX_NAME).strip()
    if not name:
        raise ScenarioError("the scenario has no 'name'", "Le scénario n'a pas de nom.",
                            source=where)
    levers = data.get("levers") or {}
    if not isinstance(levers, dict):
        raise ScenarioError("'levers' must be a mapping of lever id to value",
                            "Les leviers du scénario sont mal formés.", source=where)
    values = {}
    for key, value in levers.items():
        if key not in registry:
            close = [k for k in registry if k.split("_")[0] == str(key).split("_")[0]]
            hint = f" (did you mean {close}?)" if close else ""
            raise ScenarioError(
                f"unknown lever '{key}'{hint}; known levers: {', '.join(registry)}",
                f"Levier inconnu : « {key} ».", source=where)
        values[key] = registry[key].check(value, where)
    return Scenario(
        name=name, levers=values,
        title=_check_text(data.get("title"), "title", where, MAX_NAME * 2),
        description=_check_text(data.get("description"), "description", where, MAX_TEXT),
        author=_check_text(data.get("author"), "author", where, MAX_NAME),
        created=_check_text(data.get("created"), "created", where, 40),
        model_version=_check_text(data.get("model_version"), "model_version", where, 40)
        or __version__,
    )


def parse_scenario_yaml(text: str, registry: LeverRegistry, where: str | None = None) -> Scenario:
    """Parse YAML text with the safe loader only (no Python tags) and validate it."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ScenarioError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB",
                            "Le fichier de scénario est trop volumineux.", source=where)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(f"malformed YAML{at}: {problem}",
                            "Le fichier de scénario est illisible.", source=where) from None
    return scenario_from_dict(data, registry, where)


def load_scenario(path: str | Path, registry: LeverRegistry | None = None) -> Scenario:
    """Read and validate a scenario YAML file."""
    registry = registry or load_levers()
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB",
                                "Le fichier de scénario est trop volumineux.", source=str(p))
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"cannot read the file: {err.__class__.__name__}",
                            "Le fichier de scénario est illisible.", source=str(p)) from None
    return parse_scenario_yaml(text, registry, str(p))


def reference_scenarios(registry: LeverRegistry | None = None) -> dict[str, Scenario]:
    """The reference scenarios shipped in ``scenarios/``, by name, ``tendanciel`` first."""
    from .paths import scenarios_dir

    registry = registry or load_levers()
    found = [load_scenario(p, registry) for p in sorted(scenarios_dir().glob("*.yaml"))]
    found.sort(key=lambda s: (s.name != "tendanciel", s.name))
    return {s.name: s for s in found}


# --- share codes --------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated")
        b = buf[i]
        n |= (b & 0x7F) << shift
        i += 1
        shift += 7
        if not b & 0x80:
            return n, i


def _zigzag(n: int) -> int:
    return n * 2 if n >= 0 else -n * 2 - 1


def _unzigzag(n: int) -> int:
    return n // 2 if n % 2 == 0 else -(n + 1) // 2


def share_code(scenario: Scenario, registry: LeverRegistry) -> str:
    """A compact, URL-safe code for all lever values of ``scenario``.

    Every lever is written as (code, number of steps), so a code keeps its meaning when trend
    values change; a checksum turns a mistyped code into a clear error."""
    values = scenario.values(registry)
    payload, prev = bytearray(), 0
    for lv in sorted(registry.values(), key=lambda lv: lv.code):
        payload += _varint(lv.code - prev) + _varint(_zigzag(lv.steps(values[lv.id])))
        prev = lv.code
    crc = binascii.crc32(bytes(payload)) & 0xFFFF
    raw = bytes(payload) + crc.to_bytes(2, "big")
    return SHARE_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{2,400}$")


def scenario_from_code(code: str, registry: LeverRegistry, name: str = "partagé") -> Scenario:
    """Decode a share code; a wrong or damaged code is a ScenarioError, never a guess."""
    bad = ScenarioError(f"invalid share code {code[:40]!r}",
                        "Ce code de partage n'est pas valide : vérifiez qu'il est complet.")
    if not isinstance(code, str) or not _CODE_RE.match(code) or not code.startswith(SHARE_PREFIX):
        raise bad
    body = code[len(SHARE_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    if len(raw) < 3:
        raise bad
    payload, crc = raw[:-2], int.from_bytes(raw[-2:], "big")
    if binascii.crc32(payload) & 0xFFFF != crc:
        raise bad
    by_code, values, i, lever_code = registry.by_code(), {}, 0, 0
    try:
        while i < len(payload):
            delta, i = _read_varint(payload, i)
            steps, i = _read_varint(payload, i)
            lever_code += delta
            lv = by_code.get(lever_code)
            if lv is None:
                raise bad
            values[lv.id] = lv.check(lv.from_steps(_unzigzag(steps)), "share code")
    except ValueError:
        raise bad from None
    return Scenario(name=name, levers=values)
