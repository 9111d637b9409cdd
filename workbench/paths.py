"""Where the project's data folders are. The package is installed in editable mode
(``pip install -e .``), so the top-level folders of the checkout sit beside it."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
DATA_DIR = PACKAGE_DIR / "data"
TERRITORIES_DIR = DATA_DIR / "territories"
NATIONAL_DIR = DATA_DIR / "national"
LEVERS_DIR = PACKAGE_DIR / "levers_registry"  # one YAML file per model or theme


def indicators_dir() -> Path:
    """The codelist folder (``indicators/``), overridable with FABRIQUE_INDICATORS."""
    return Path(os.environ.get("FABRIQUE_INDICATORS", PROJECT_DIR / "indicators"))


def scenarios_dir() -> Path:
    """The reference scenarios folder (``scenarios/``), overridable with FABRIQUE_SCENARIOS."""
    return Path(os.environ.get("FABRIQUE_SCENARIOS", PROJECT_DIR / "scenarios"))


def var_dir() -> Path:
    """Where run-time state (the SQLite store) lives, overridable with FABRIQUE_VAR."""
    return Path(os.environ.get("FABRIQUE_VAR", PROJECT_DIR / "var"))
