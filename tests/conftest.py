"""Shared fixtures: engines are built once per session (reading data costs ~40 ms)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import workbench as wb

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def engine() -> wb.Engine:
    return wb.Engine()


@pytest.fixture(scope="session")
def synthetic() -> wb.Engine:
    return wb.Engine("synthetic")


@pytest.fixture(scope="session")
def refs(engine) -> dict[str, wb.Scenario]:
    return wb.reference_scenarios(engine.levers)


@pytest.fixture(scope="session")
def ref_results(engine, refs) -> wb.Results:
    return engine.run(list(refs.values()))


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m workbench`` as a user would, in a subprocess."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "workbench", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def free_port() -> int:
    """A free TCP port on the loopback interface, for servers the tests start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lever_effect(engine: wb.Engine, lever: str, low: float, high: float, variable: str,
                 year: int) -> float:
    """How much ``variable`` in ``year`` changes when ``lever`` goes from low to high, the
    other levers at their trend (rounded to 1e-9 so that float noise reads as no change)."""
    import numpy as np

    res = engine.run_batch({lever: np.array([low, high], float)})
    return round(res.value(variable, year, 1) - res.value(variable, year, 0), 9)
