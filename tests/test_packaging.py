"""environment.yml (analysts, Binder) and pyproject.toml (pip) ask for the same versions."""

import re
import tomllib

import yaml

from .conftest import ROOT

CONDA_NAMES = {"pyam-iamc": "pyam"}


def norm(req: str) -> tuple[str, str]:
    # pip extras ("psycopg[binary]") have no conda spelling: compare the package name only
    name, spec = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)$", req.strip()).groups()
    return name.lower().replace("-", "_"), spec.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(norm(r) for r in project["dependencies"])
    wanted.update(norm(r) for r in project["optional-dependencies"]["test"]
                  if norm(r)[0] in ("pytest", "nbval"))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda = dict(norm(d.replace("=", "==", 1) if re.match(r"^\w+=\d", d) else d)
                 for d in env if isinstance(d, str))
    for name, spec in wanted.items():
        conda_name = norm(CONDA_NAMES.get(name.replace("_", "-"), name))[0]
        assert conda.get(conda_name) == spec, (name, spec, conda.get(conda_name))
    assert conda["python"] == "==3.11"


def test_installed_versions_meet_the_security_floors():
    """Versions below these carry published advisories (pyproject.toml says which)."""
    from importlib.metadata import version

    from packaging.version import Version

    floors = {"voila": "0.5.8", "jupyter_server": "2.21.1", "tornado": "6.5.8"}
    for name, floor in floors.items():
        assert Version(version(name)) >= Version(floor), (name, version(name), floor)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = dict(norm(r) for r in project["dependencies"])
    for name, floor in floors.items():
        assert f">={floor}" in declared[name], (name, declared[name])
