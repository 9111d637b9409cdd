"""The indicator models, in no particular order: the engine orders them from their
declarations. A new model is a module here plus its variables in ``indicators/``."""

from .demography import Demography

MODELS = (Demography,)

__all__ = ["MODELS", "Demography"]
