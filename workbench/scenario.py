"""Scenarios: a name, lever values and metadata. Stored as YAML (safe loading only) and as
a compact URL-safe share code that round-trips exactly.

Lever values not given take the territory's trend value, so ``levers: {}`` is the
"tendanciel" scenario."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from . import __version__
from .errors import ScenarioError
from .levers import LeverRegistry, load_levers
from .text import TextRefused, clean_line, clean_text

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


def _check_text(value: object, key: str, where: str | None, limit: int,
                multiline: bool = False) -> str:
    """A text field: the door's rules (workbench.text), a number or a date read as text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | dt.date):
        raise ScenarioError(f"'{key}' must be text, got {type(value).__name__}",
                            f"Le champ « {key} » doit être du texte.", source=where)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if len(text) > limit:
        raise ScenarioError(f"'{key}' is {len(text)} characters long (at most {limit})",
                            f"Le champ « {key} » dépasse {limit} caractères.", source=where)
    if multiline:
        return clean_text(text)
    try:
        return clean_line(text, f"Le champ « {key} »", limit, min_len=0)
    except TextRefused as err:
        raise ScenarioError(f"'{key}': {err}", err.message_fr, source=where) from None


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
        description=_check_text(data.get("description"), "description", where, MAX_TEXT,
                                multiline=True),
        author=_check_text(data.get("author"), "author", where, MAX_NAME),
        created=_check_text(data.get("created"), "created", where, 40),
        model_version=_check_text(data.get("model_version"), "model_version", where, 40)
        or __version__,
    )


MAX_DEPTH = 20  # a scenario is two levels deep; `[` × 5000 overflowed the stack
MAX_NUMBER_CHARS = 40  # a 4000-digit integer is not a lever value


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 readings of plain scalars, and refusals.

    PyYAML implements YAML 1.1, where ``15:00`` is 900 (base 60), ``01604`` is 900 (octal),
    ``0b10`` is 2, ``yes``/``no``/``on``/``off`` are booleans and ``1e3`` is a string. Here
    only ``true``/``false`` are booleans, integers are decimal, ``1e3`` is a number, and
    anything else stays text (which a lever then refuses as « not a number »). A key given
    twice, nesting deeper than MAX_DEPTH and numbers longer than MAX_NUMBER_CHARS are
    errors."""

    yaml_implicit_resolvers = {}

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ScenarioError(
                    f"nested more than {MAX_DEPTH} levels deep at line {mark.line + 1}",
                    "Le fichier de scénario est mal formé.")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # PyYAML refuses it below, with its own message
            if key in seen:
                raise ScenarioError(
                    f"key {str(key)[:40]!r} appears twice (lines {seen[key]} and "
                    f"{key_node.start_mark.line + 1})",
                    f"Le champ « {str(key)[:40]} » apparaît deux fois.")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node):
        return int(self._number_text(node).replace("_", ""))

    def construct_yaml_float(self, node):
        text = self._number_text(node).replace("_", "")
        special = text.lower().lstrip("+")
        if special in (".inf", "-.inf", ".nan"):  # read, then refused as not finite
            return {".inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}[special]
        return float(text)

    def _number_text(self, node) -> str:
        text = self.construct_scalar(node)
        if len(text) > MAX_NUMBER_CHARS:
            raise ScenarioError(f"a number of {len(text)} characters at line "
                                f"{node.start_mark.line + 1}",
                                "Un nombre du fichier de scénario est trop long.")
        return text


StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."))
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+."))
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp", re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), list("0123456789"))
StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)


def parse_scenario_yaml(text: str, registry: LeverRegistry, where: str | None = None) -> Scenario:
    """Parse YAML text with the safe loader only (no Python tags) and validate it."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ScenarioError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB",
                            "Le fichier de scénario est trop volumineux.", source=where)
    try:
        loader = StrictLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except ScenarioError as err:
        if err.source or not where:
            raise
        raise ScenarioError(err.detail, err.message_fr, source=where) from None
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
