"""Widgets behind the Voilà workshop apps (``apps/``). Everything a participant reads is in
French and HTML-escaped; a failure shows a short French message, never a traceback."""

from .overview import KEY_FIGURES, reference_overview

__all__ = ["KEY_FIGURES", "reference_overview"]
