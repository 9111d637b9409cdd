"""The indicator models: every module of this package that defines a ``Model`` subclass
with a ``name``. Nothing to register: the engine orders them from their declarations, and
their variables are the codelist entries (``indicators/variable/*.yaml``) naming them."""

import importlib
import inspect
import pkgutil

from ..engine import Model


def _discover() -> tuple[type[Model], ...]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, Model) and obj is not Model
                    and obj.__module__ == module.__name__ and getattr(obj, "name", None)):
                found[obj.name] = obj
    return tuple(found[k] for k in sorted(found))


MODELS = _discover()

__all__ = ["MODELS"]
