"""Errors that carry two messages: a plain French one for participants and a precise
one for analysts (file, lever, allowed range)."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class for every error the workbench raises on bad input.

    ``str(err)`` is the analyst's message (precise, English); ``err.message_fr`` is what a
    participant may be shown.
    """

    def __init__(self, message: str, message_fr: str | None = None, *, source: str | None = None):
        self.source = source
        self.detail = message
        self.message_fr = message_fr or "Les données saisies ne sont pas valides."
        super().__init__(f"{source}: {message}" if source else message)


class ScenarioError(WorkbenchError):
    """A scenario file, share code or lever value is not acceptable."""


class DataError(WorkbenchError):
    """A territory data file, lever registry or codelist is inconsistent."""


class ModelGraphError(DataError):
    """Models cannot be ordered: a cycle, or a variable that no model writes."""


class StoreError(WorkbenchError):
    """A workshop session or submission cannot be read or written (unknown code, closed
    session, invalid input, database unavailable)."""
