"""Identical layouts and styles are one model each, and a shared one cannot be changed."""

import ipywidgets as W
import pytest
from traitlets import TraitError

from workbench.app.atelier import Atelier
from workbench.app.sharing import own_layout, share_alike


def _models(root):
    seen, stack = {}, [root]
    while stack:
        w = stack.pop()
        if w.model_id in seen:
            continue
        seen[w.model_id] = w
        for trait in ("layout", "style"):
            if w.has_trait(trait) and isinstance(getattr(w, trait), W.Widget):
                m = getattr(w, trait)
                seen[m.model_id] = m
        stack.extend(c for c in getattr(w, "children", ()) if isinstance(c, W.Widget))
    return seen


def test_alike_layouts_and_styles_become_one_and_the_copies_are_closed():
    a, b = W.HTML("a", layout=W.Layout(width="auto")), W.HTML("b", layout=W.Layout(width="auto"))
    c = W.HTML("c", layout=W.Layout(width="50%"))
    originals = (a.layout, b.layout)
    box = W.VBox([a, b, c])
    closed = share_alike(box)
    assert a.layout is b.layout and c.layout is not a.layout
    assert a.style is b.style is c.style
    kept = a.layout
    assert [m.comm is None for m in originals if m is not kept] == [True]  # the copy: closed
    assert kept.comm is not None
    assert closed >= 3  # b's layout, b's and c's styles (box's layout is unlike the others)


def test_a_shared_layout_refuses_a_change_and_an_own_layout_does_not():
    a, b = W.HTML("a"), W.HTML("b")
    mine = own_layout(W.HTML("mine"))
    share_alike(W.VBox([a, b, mine]))
    with pytest.raises(TraitError, match="own_layout"):
        a.layout.display = "none"
    assert b.layout.display is None
    mine.layout.display = "none"
    assert mine.layout is not a.layout and a.layout.display is None


def test_the_atelier_loads_one_model_per_distinct_layout(engine, tmp_path):
    from workbench.store import Store

    app = Atelier(engine, store=Store(f"sqlite:///{tmp_path / 's.sqlite3'}"))
    models = _models(app.widget)
    layouts = [m for m in models.values() if isinstance(m, W.Layout)]
    # one per distinct value, plus the levers' help texts (shown and hidden one by one)
    assert len(layouts) <= len({str(m.get_state()) for m in layouts}) + len(app.controls)
    assert len(models) < 450  # was 849 before layouts and styles were shared
    # a help text still opens alone
    one, other = list(app.controls.values())[:2]
    one.help_button.value = True
    assert one.help.layout.display == "block" and other.help.layout.display == "none"
