"""The apps' style sheets, one file per page in ``workbench/app/css/``: ``base.css`` (every
page: colours, type, cards), ``atelier.css``, ``pleniere.css``, ``report.css`` (the
printable HTML report) and ``charts.css`` (the SVG charts of the report and the
spotlight). A display rule lives in one of them, never in a Python string.

    >>> "fab2030" in stylesheet("base")
    True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

CSS_DIR = Path(__file__).with_name("css")


@cache
def stylesheet(*names: str) -> str:
    """The named sheets, in order (later rules win), as one string for a ``<style>``."""
    return "\n".join((CSS_DIR / f"{name}.css").read_text(encoding="utf-8") for name in names)
