"""The engine: orders the indicator models from their declarations and runs a batch of
scenarios as arrays (scenario axis first), so one scenario and 10,000 go through the same
code.

A model declares the levers it reads (``levers``) and the variables it needs from other
models (``needs``); what it writes is the set of codelist variables whose ``model``
attribute names it (``indicators/variable/*.yaml``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

import numpy as np

from .codelist import Variable, load_codelist
from .errors import ModelGraphError, ScenarioError
from .levers import LeverRegistry, load_levers
from .results import Results
from .scenario import Scenario
from .territory import DEFAULT_TERRITORY, Territory, load_territory

FIRST_YEAR, LAST_YEAR = 2021, 2050


class Model(ABC):
    """Base class of an indicator model.

    Subclasses set ``name``, ``levers`` and ``needs``, read their data in ``__init__`` (once
    per engine) and compute in ``run``: lever values arrive as arrays of shape (n,), needed
    variables as arrays of shape (n, years); ``run`` returns one (n, years) array per written
    variable."""

    name: ClassVar[str]
    label_fr: ClassVar[str] = ""
    levers: ClassVar[tuple[str, ...]] = ()
    needs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, territory: Territory, years: np.ndarray):
        self.territory = territory
        self.years = years

    @abstractmethod
    def run(self, levers: Mapping[str, np.ndarray],
            inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Compute the model's variables for a chunk of scenarios."""


def default_models() -> list[type[Model]]:
    from .models import MODELS

    return list(MODELS)


def order_models(classes: Sequence[type[Model]],
                 codelist: Mapping[str, Variable]) -> list[tuple[type[Model], tuple[str, ...]]]:
    """Topological order of ``classes`` by what they need and write. A cycle, a needed variable
    that no model writes, or a variable written by two models is a ModelGraphError."""
    writes = {c.name: tuple(v for v, d in codelist.items() if d.model == c.name) for c in classes}
    producer: dict[str, str] = {}
    for c in classes:
        if not writes[c.name]:
            raise ModelGraphError(f"model '{c.name}' writes no codelist variable")
        for v in writes[c.name]:
            producer[v] = c.name
    by_name = {c.name: c for c in classes}
    if len(by_name) != len(classes):
        raise ModelGraphError("two models have the same name")
    deps: dict[str, set[str]] = {}
    for c in classes:
        missing = [v for v in c.needs if v not in producer]
        if missing:
            raise ModelGraphError(f"model '{c.name}' needs {missing}, which no model writes")
        deps[c.name] = {producer[v] for v in c.needs} - {c.name}
        if any(producer[v] == c.name for v in c.needs):
            raise ModelGraphError(f"model '{c.name}' needs a variable it writes itself")
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            raise ModelGraphError(f"models form a cycle: {' -> '.join(cycle)}")
        state[name] = 1
        for dep in sorted(deps[name]):
            visit(dep, path + [name])
        state[name] = 2
        order.append(name)

    for c in classes:
        visit(c.name, [])
    return [(by_name[n], writes[n]) for n in order]


class Engine:
    """Runs the models of a territory for 2021–2050."""

    def __init__(self, territory: str | Territory = DEFAULT_TERRITORY,
                 models: Sequence[type[Model]] | None = None,
                 codelist: Mapping[str, Variable] | None = None,
                 chunk_size: int = 250):
        self.territory = (territory if isinstance(territory, Territory)
                          else load_territory(territory))
        self.levers: LeverRegistry = load_levers(self.territory)
        self.codelist = dict(codelist) if codelist is not None else load_codelist()
        self.years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
        self.chunk_size = chunk_size  # 250: measured fastest, and 10,000 scenarios fit in ~250 MB
        ordered = order_models(models if models is not None else default_models(), self.codelist)
        for cls, _ in ordered:
            unknown = [lv for lv in cls.levers if lv not in self.levers]
            if unknown:
                raise ModelGraphError(f"model '{cls.name}' reads unknown levers {unknown}")
        self.models = [(cls(self.territory, self.years), writes) for cls, writes in ordered]
        self.units = {v: self.codelist[v].unit for _, ws in self.models for v in ws}

    @property
    def variables(self) -> list[str]:
        return [v for _, ws in self.models for v in ws]

    def run(self, scenarios: Scenario | Iterable[Scenario]) -> Results:
        """Run one scenario or many; scenario names must be unique."""
        scen = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
        names = [s.name for s in scen]
        if len(set(names)) != len(names):
            raise ScenarioError("scenario names must be unique in one run",
                                "Deux scénarios portent le même nom.")
        values = {k: np.empty(len(scen)) for k in self.levers}
        for i, s in enumerate(scen):
            for k, v in s.values(self.levers).items():
                values[k][i] = v
        return self.run_batch(values, names)

    def run_batch(self, values: Mapping[str, np.ndarray | float],
                  names: Sequence[str] | None = None) -> Results:
        """Run N scenarios given as lever arrays (levers not given take their trend value).
        Values must be finite and within each lever's range; the step grid is not enforced
        here, so samplers may draw continuous values."""
        unknown = sorted(set(values) - set(self.levers))
        if unknown:
            raise ScenarioError(f"unknown levers {unknown}", "Levier inconnu.")
        n = max((np.size(v) for v in values.values()), default=1)
        arrays = {}
        for k, lv in self.levers.items():
            a = np.broadcast_to(np.asarray(values.get(k, lv.trend), dtype=float), (n,))
            if not np.all(np.isfinite(a)) or a.min() < lv.min or a.max() > lv.max:
                raise ScenarioError(
                    f"lever '{k}': values must be finite and within [{lv.min:g}, {lv.max:g}]",
                    f"« {lv.label_fr} » : valeur hors limites.")
            arrays[k] = a
        names = list(names) if names is not None else [f"s{i}" for i in range(n)]
        out = {v: np.empty((n, len(self.years))) for v in self.variables}
        for start in range(0, n, self.chunk_size):
            sl = slice(start, min(n, start + self.chunk_size))
            computed = self._run_chunk({k: a[sl] for k, a in arrays.items()})
            for v in self.variables:
                out[v][sl] = computed[v]
        return Results(names, self.years, self.territory.region, out, self.units)

    def _run_chunk(self, levers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        computed: dict[str, np.ndarray] = {}
        for model, writes in self.models:
            got = model.run({k: levers[k] for k in model.levers},
                            {v: computed[v] for v in model.needs})
            if got.keys() != set(writes):
                extra, missing = set(got) - set(writes), set(writes) - set(got)
                raise ModelGraphError(f"model '{model.name}' returned {sorted(extra)} not in "
                                      f"the codelist, or lacks {sorted(missing)}")
            computed.update(got)
        return computed
