"""Fewer widget models per page: identical layouts and styles, shared.

ipywidgets gives every widget its own ``Layout`` model and, for most, its own style model,
even when they are all alike: the atelier had 849 widget models, 312 of them layouts
(317 KB of the 647 KB of state a page loads before it can draw anything) and 214 styles.
Each is a model the browser must create, and an object each kernel holds. A page is
built once and its layouts are then fixed, so after an app is built :func:`share_alike`
points every widget at one layout (one style) per distinct value and closes the copies.

A shared layout must not change afterwards (hiding one widget would hide all that share
it): shared models refuse any change with a ``TraitError``. A widget whose layout or style
the app changes later (shown, hidden) is marked with :func:`own_layout` when it is built.
"""

from __future__ import annotations

import json
import weakref

import ipywidgets as W
from traitlets import TraitError

_OWN: weakref.WeakSet = weakref.WeakSet()


def own_layout(widget: W.DOMWidget) -> W.DOMWidget:
    """Keep ``widget``'s layout and style its own (the app changes them later)."""
    _OWN.add(widget)
    return widget


def _children(w) -> list:
    kids = getattr(w, "children", None)
    return [c for c in kids if isinstance(c, W.Widget)] if isinstance(kids, tuple) else []


def _key(model: W.Widget) -> str:
    return type(model).__qualname__ + json.dumps(model.get_state(), sort_keys=True, default=str)


def _refuse(_owner, proposal):
    raise TraitError(
        f"{type(proposal['owner']).__name__}.{proposal['trait'].name}: this model is shared "
        "by several widgets (workbench.app.sharing); mark the widget with own_layout() "
        "when it is built to change it later")


def share_alike(root: W.Widget) -> int:
    """Share identical layouts and styles under ``root``, then freeze them (a change
    raises ``TraitError``), except those of widgets marked :func:`own_layout`. Returns
    how many models were closed."""
    seen: dict[str, W.Widget] = {}
    owned: set[int] = set()
    replaced: list[W.Widget] = []
    stack, visited = [root], set()
    while stack:
        w = stack.pop()
        if id(w) in visited:
            continue
        visited.add(id(w))
        stack.extend(_children(w))
        for trait in ("layout", "style"):
            model = getattr(w, trait) if w.has_trait(trait) else None
            if not isinstance(model, W.Widget):
                continue
            if w in _OWN:
                owned.add(id(model))
                continue
            first = seen.setdefault(_key(model), model)
            if first is not model:
                setattr(w, trait, first)
                replaced.append(model)
    in_use = set(owned) | {id(m) for m in seen.values()}
    closed = [m for m in {id(m): m for m in replaced}.values() if id(m) not in in_use]
    for model in closed:
        model.close()
    for model in seen.values():
        if id(model) not in owned:
            model._register_validator(_refuse, list(model.keys))  # noqa: SLF001
    return len(closed)
