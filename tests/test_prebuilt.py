"""The engine the workshop server builds once and every atelier kernel reads back
(workbench/prebuilt.py): the same results as a fresh build, a new file when anything it is
built from changes, and a participant's kernel that never imports pandas."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from workbench import prebuilt
from workbench.engine import Engine
from workbench.paths import PROJECT_DIR, indicators_dir


@pytest.fixture
def var(tmp_path, monkeypatch):
    monkeypatch.setenv("FABRIQUE_VAR", str(tmp_path / "var"))
    return tmp_path / "var"


def lever_values(engine: Engine) -> dict[str, np.ndarray]:
    """Three futures: the trend, every lever at its minimum, every lever at its maximum."""
    return {k: np.array([lv.trend, lv.min, lv.max]) for k, lv in engine.levers.items()}


def test_read_back_engine_gives_the_same_results(var):
    path = prebuilt.write()
    assert path.exists() and path.parent == var / "cache"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    fresh = Engine()
    with pytest.MonkeyPatch.context() as mp:  # read back, not built: building would fail
        mp.setattr(Engine, "__init__", lambda *a, **k: pytest.fail("built, not read back"))
        kept = prebuilt.engine()
    assert kept.variables == fresh.variables
    a = fresh.run_batch(lever_values(fresh)).data
    b = kept.run_batch(lever_values(kept)).data
    assert a.keys() == b.keys()
    for v in a:
        np.testing.assert_array_equal(a[v], b[v], err_msg=v)


def test_a_changed_codelist_gives_another_file(var, tmp_path, monkeypatch):
    first = prebuilt.write()
    copy = tmp_path / "indicators"
    shutil.copytree(indicators_dir(), copy)
    monkeypatch.setenv("FABRIQUE_INDICATORS", str(copy))
    assert prebuilt.cache_file() == first  # the same content: the same build
    some = sorted(copy.rglob("*.yaml"))[0]
    some.write_text(some.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert prebuilt.cache_file() != first
    second = prebuilt.write()
    assert second.exists() and not first.exists()  # the older build is removed


def test_an_unreadable_cache_still_gives_an_engine(var):
    path = prebuilt.cache_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a pickle")
    got = prebuilt.engine()
    assert isinstance(got, Engine) and got.run_batch({}).data


def test_a_participant_kernel_never_imports_pandas(var):
    """What an atelier kernel runs (apps/atelier.ipynb), in a fresh interpreter, once the
    server has written the engine: the app is built, a lever moves, and pandas (44 MB of
    each kernel) is never imported."""
    prebuilt.write()
    code = (
        "import sys\n"
        "from workbench.app.atelier import Atelier, atelier\n"
        "app = atelier()\n"
        "assert isinstance(app, Atelier), app\n"
        "before = app.cards.value\n"
        "app.set_lever('fertility', app.levers['fertility'].max)\n"
        "assert app.cards.value != before\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'statsmodels')))\n"
    )
    env = {**os.environ, "FABRIQUE_VAR": str(var), "PYTHONWARNINGS": "ignore"}
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_cache_others_may_write_is_not_read(var):
    path = prebuilt.write()
    path.parent.chmod(0o777)
    built = []
    real_init = Engine.__init__

    def counting(self, *a, **k):
        built.append(1)
        real_init(self, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Engine, "__init__", counting)
        assert isinstance(prebuilt.engine(), Engine)
    assert built == [1]  # built anew, the pickle not opened
    prebuilt.write()  # writing again makes the folder private
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
