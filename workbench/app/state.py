"""What a participant is looking at: lever values with an undo and redo history. Plain Python, so
the rules (ranges, steps, undo) are tested without a browser. Every value, including one
forged through the widget protocol, goes through the lever registry's check."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import WorkbenchError
from ..levers import LeverRegistry
from ..scenario import Scenario, share_code

MAX_UNDO = 200


class LeverState:
    """Current lever values, starting at the trend scenario."""

    def __init__(self, registry: LeverRegistry, values: Mapping[str, float] | None = None):
        self.registry = registry
        self.values: dict[str, float] = registry.trend_values()
        if values:
            self.values.update(self._checked(values))
        self._history: list[dict[str, float]] = []
        self._redo: list[dict[str, float]] = []  # what undo took back, newest last

    def _checked(self, values: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for k, v in values.items():
            if k not in self.registry:
                from ..errors import ScenarioError

                raise ScenarioError(f"unknown lever '{k}'", "Levier inconnu.")
            out[k] = self.registry[k].check(v)
        return out

    def _push(self) -> None:
        """Before a new step: it can be undone, and what was undone can no longer be redone."""
        self._history.append(dict(self.values))
        del self._history[:-MAX_UNDO]
        self._redo.clear()

    def set(self, lever_id: str, value: float) -> bool:
        """Set one lever (raises ScenarioError if the value is not allowed); returns whether
        anything changed."""
        (v,) = self._checked({lever_id: value}).values()
        if self.values[lever_id] == v:
            return False
        self._push()
        self.values[lever_id] = v
        return True

    def set_many(self, values: Mapping[str, float]) -> bool:
        """Replace several levers as one undoable step (levers not given keep their value)."""
        new = {**self.values, **self._checked(values)}
        if new == self.values:
            return False
        self._push()
        self.values = new
        return True

    def restore(self, values: Mapping[str, object]) -> list[str]:
        """Take back saved values (a draft) as the starting point, with no undo step: each
        valid one is kept, the others (a lever since removed, a value now out of range)
        stay at the trend. Returns the ids of the levers refused."""
        refused = []
        for k, v in values.items():
            try:
                self.values.update(self._checked({k: v}))
            except WorkbenchError:
                refused.append(str(k)[:64])
        self._history.clear()
        self._redo.clear()
        return refused

    def load(self, scenario: Scenario) -> bool:
        """Start from a scenario: every lever takes the scenario's value (or the trend)."""
        return self.set_many(scenario.values(self.registry))

    def reset(self) -> bool:
        return self.set_many(self.registry.trend_values())

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def _step(self, back: list, forth: list) -> bool:
        """Take the newest values of ``back``, keeping the current ones on ``forth``."""
        if not back:
            return False
        forth.append(self.values)
        self.values = back.pop()
        return True

    def undo(self) -> bool:
        return self._step(self._history, self._redo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def redo(self) -> bool:
        """Take back the last undone step; a new step since then has cleared it."""
        return self._step(self._redo, self._history)

    def changed(self) -> dict[str, float]:
        """Levers that differ from the trend."""
        trend = self.registry.trend_values()
        return {k: v for k, v in self.values.items() if v != trend[k]}

    def scenario(self, name: str = "mon-futur", **meta: str) -> Scenario:
        return Scenario(name=name, levers=dict(self.values), **meta)

    def share_code(self) -> str:
        return share_code(self.scenario(), self.registry)
