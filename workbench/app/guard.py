"""What a page may ask of its kernel, beyond moving the app's own widgets.

In Voilà the kernel creates every widget; the page only opens comms to read and update
them. ipywidgets would still let a page open a ``jupyter.widget`` comm for any registered
widget class (a file upload, a controller, an output area…), and a malformed open raised an
exception whose traceback, logged by the ``comm`` package to ``sys.stderr``, reached the
page on iopub with the server's paths in it. :func:`guard_comms` narrows the comm targets
to the widget models the app actually uses, and sends comm errors to the server log only.
"""

from __future__ import annotations

import logging

log = logging.getLogger("workbench.app.guard")

#: the comm package's loggers: their records would otherwise go to sys.stderr (the page)
COMM_LOGGERS = ("Comm", "comm", "ipykernel.comm", "ipywidgets")
TARGETS_KEPT = frozenset({"jupyter.widget", "jupyter.widget.control"})


def _live_widgets():
    from ipywidgets.widgets.widget import _instances  # ipywidgets 8's registry of widgets

    return list(_instances.values())


def route_comm_logs() -> None:
    """Comm errors (a bad open, a bad update) to the server log, never to the page."""
    from .base import ServerLogHandler

    for name in COMM_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, ServerLogHandler) for h in logger.handlers):
            handler = ServerLogHandler()
            handler.setFormatter(logging.Formatter(
                "[%(asctime)s %(levelname)s %(name)s] %(message)s"))
            logger.addHandler(handler)
        logger.propagate = False


def quiet_tracebacks() -> None:
    """A widget that refuses a forged update (a slider set to text) raises inside
    ipywidgets, which then calls IPython's ``showtraceback``: an ``error`` message with the
    whole traceback and the server's paths, sent to the page. In an app kernel the page
    gets nothing; the server log gets the traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell.showtraceback, "quiet", False):
        return

    def showtraceback(*args, **kwargs):
        log.warning("an error in the app's kernel (not shown to the page)", exc_info=True)

    showtraceback.quiet = True
    shell.showtraceback = showtraceback


def guard_comms(allowed_models: set[str] | None = None) -> set[str]:
    """From now on the page may open ``jupyter.widget`` comms only for the model names of
    the widgets alive now (the app's), and no other comm target; a refused open is closed
    and logged on the server. Returns the allowed model names."""
    route_comm_logs()
    quiet_tracebacks()
    try:
        from comm import get_comm_manager
    except ImportError:  # not in a kernel
        return set()
    manager = get_comm_manager()
    if manager is None:
        return set()
    allowed = set(allowed_models) if allowed_models is not None else {
        w._model_name for w in _live_widgets()}
    for name in list(manager.targets):
        if name not in TARGETS_KEPT:
            manager.unregister_target(name, manager.targets[name])
    opened = manager.targets.get("jupyter.widget")
    if opened is None or getattr(opened, "guarded", False):
        return allowed

    def guarded(comm, msg):
        content = msg.get("content") if isinstance(msg, dict) else None
        data = content.get("data") if isinstance(content, dict) else None
        state = data.get("state") if isinstance(data, dict) else None
        model = state.get("_model_name") if isinstance(state, dict) else None
        if model not in allowed:
            log.warning("a page tried to open a widget the app does not use (%.40r): "
                        "refused", model)
            comm.close()
            return None
        return opened(comm, msg)

    guarded.guarded = True
    manager.register_target("jupyter.widget", guarded)
    return allowed
