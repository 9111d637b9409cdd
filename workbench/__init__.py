"""Fabrique 2030: 2030 indicator models for Grand Chambéry, coupled through one engine.

    >>> import workbench as wb
    >>> engine = wb.Engine()                       # Grand Chambéry, every model
    >>> res = engine.run(wb.reference_scenarios().values())
    >>> res.at(2030)                                # scenario × variable
"""

__version__ = "0.1.0"

import os as _os  # noqa: E402
import sys as _sys  # noqa: E402

# pint's disk cache (which pyam's iam-units uses) stores the absolute paths of the environment
# that wrote it, under a key that does not depend on them: two checkouts sharing ~/.cache break
# each other (FileNotFoundError: .../pint/default_en.txt/constants_en.txt). Keep it per environment.
_os.environ.setdefault("IAM_UNITS_CACHE", _os.path.join(_sys.prefix, "var", "cache", "iam-units"))

from .engine import Engine, Model  # noqa: E402
from .errors import DataError, ModelGraphError, ScenarioError, WorkbenchError  # noqa: E402
from .levers import Lever, LeverRegistry, load_levers  # noqa: E402
from .results import Results  # noqa: E402
from .scenario import (  # noqa: E402
    Scenario,
    load_scenario,
    parse_scenario_yaml,
    reference_scenarios,
    scenario_from_code,
    share_code,
)
from .territory import Territory, load_territory  # noqa: E402

__all__ = [
    "DataError", "Engine", "Lever", "LeverRegistry", "Model", "ModelGraphError", "Results",
    "Scenario", "ScenarioError", "Territory", "WorkbenchError", "load_levers", "load_scenario",
    "load_territory", "parse_scenario_yaml", "reference_scenarios", "scenario_from_code",
    "share_code",
]
