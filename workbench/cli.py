"""Command line: ``python -m workbench levers|run|compare|validate|facilitator-token``.

Bad input ends with a one-line message naming the file, the lever and the allowed range,
exit status 2 and nothing written."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from .errors import WorkbenchError
from .territory import DEFAULT_TERRITORY
from .text import printable


def _scenario(arg: str, registry):
    from .scenario import load_scenario, reference_scenarios, scenario_from_code

    p = Path(arg)
    if p.exists():
        return load_scenario(p, registry)
    if arg.startswith("F1") and not p.suffix:
        return scenario_from_code(arg, registry)
    refs = reference_scenarios(registry)
    if arg in refs:
        return refs[arg]
    raise WorkbenchError(f"no such file, share code or reference scenario "
                         f"(reference scenarios: {', '.join(refs)})", source=arg)


def _variables(engine, wanted: list[str] | None) -> list[str]:
    if wanted:
        unknown = [v for v in wanted if v not in engine.variables]
        if unknown:
            raise WorkbenchError(f"unknown variables {unknown}; see indicators/variable/")
        return wanted
    from .codelist import app_variables

    # the key figures are the codelist's (app_rank), as in the workshop app
    return [v.name for v in app_variables(engine.codelist, engine.variables)] or engine.variables


def _check_output(path: str | None) -> None:
    if path and Path(path).suffix.lower() not in (".csv", ".xlsx"):
        raise WorkbenchError("the output must be a .csv or .xlsx file", source=path)
    if path and not Path(path).parent.exists():
        raise WorkbenchError("the output folder does not exist", source=path)


def cmd_levers(args) -> None:
    from .levers import load_levers

    table = load_levers(args.territory).table(args.lang)
    with pd.option_context("display.max_rows", None, "display.width", 200,
                           "display.max_colwidth", 40):
        print(table.drop(columns=["source_id"]).to_string(index=False))


def cmd_validate(args) -> None:
    from .levers import load_levers
    from .scenario import share_code

    registry = load_levers(args.territory)
    for f in args.scenarios:
        s = _scenario(f, registry)
        print(f"ok: {f}: scenario '{s.name}', {len(s.levers)} lever(s) set, "
              f"share code {share_code(s, registry)}")


def cmd_run(args) -> None:
    from .engine import Engine

    _check_output(args.output)
    engine = Engine(args.territory)
    s = _scenario(args.scenario, engine.levers)
    res = engine.run(s)
    variables = _variables(engine, args.variable)
    table = pd.DataFrame({
        "unit": [res.units[v] for v in variables],
        **{str(y): [res.value(v, y) for v in variables] for y in args.years},
    }, index=pd.Index(variables, name=f"{s.name} ({engine.territory.name})"))
    print(table.round(2).to_string())
    if args.output:
        res.write(args.output)
        print(f"wrote {args.output} (IAMC, {len(res.variables)} variables, "
              f"{res.years[0]}-{res.years[-1]})")


def cmd_compare(args) -> None:
    from .engine import Engine

    _check_output(args.output)
    engine = Engine(args.territory)
    a, b = (_scenario(x, engine.levers) for x in (args.a, args.b))
    if a.name == b.name:
        b = type(b)(**{**b.__dict__, "name": b.name + " (2)"})
    res = engine.run([a, b])
    variables = _variables(engine, args.variable)
    cols = {"unit": [res.units[v] for v in variables]}
    for y in args.years:
        for s in (a.name, b.name):
            cols[f"{s} {y}"] = [res.value(v, y, s) for v in variables]
        cols[f"Δ {y}"] = [res.value(v, y, b.name) - res.value(v, y, a.name) for v in variables]
    table = pd.DataFrame(cols, index=pd.Index(variables, name="variable"))
    with pd.option_context("display.width", 250):
        print(table.round(2).to_string())
    if args.output:
        res.write(args.output)
        print(f"wrote {args.output}")


def cmd_facilitator_token(args) -> None:
    from .auth import PLENIERE_PATH, TOKEN_ENV, TOKEN_FILE, facilitator_token, facilitator_url
    from .paths import var_dir
    from .server.network import public_base_url

    token = facilitator_token(create=True)
    base = public_base_url(args.public_url or os.environ.get("PUBLIC_URL", ""), args.host,
                           args.port)
    print(f"Participants : {base}voila/render/atelier.ipynb")
    print("Animation (plénière), à garder pour l'équipe :")
    print(facilitator_url(token, f"{base}{PLENIERE_PATH}"))
    where = (f"${TOKEN_ENV}" if os.environ.get(TOKEN_ENV, "").strip()
             else f"{var_dir() / TOKEN_FILE} (mode 0600)")
    print(f"(token from {where}; give it only to the facilitators)", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m workbench",
                                description="Fabrique 2030 scenario workbench (Grand Chambéry)")
    p.add_argument("--territory", default=DEFAULT_TERRITORY,
                   help="territory folder name (default: %(default)s)")
    sub = p.add_subparsers(dest="command", required=True)
    lv = sub.add_parser("levers", help="table of levers with ranges and trend values")
    lv.add_argument("--lang", choices=["en", "fr"], default="en")
    lv.set_defaults(func=cmd_levers)
    va = sub.add_parser("validate", help="check scenario files (exit 2 on the first bad one)")
    va.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
    va.set_defaults(func=cmd_validate)
    years = {"type": int, "nargs": "+", "default": [2030, 2050], "metavar": "YEAR"}
    ru = sub.add_parser("run", help="run one scenario (file, share code or reference name)")
    ru.add_argument("scenario", metavar="SCENARIO.yaml")
    ru.add_argument("-o", "--output", help="write IAMC results to a .csv or .xlsx file")
    ru.add_argument("--years", **years)
    ru.add_argument("--variable", action="append", help="show this variable (repeatable)")
    ru.set_defaults(func=cmd_run)
    co = sub.add_parser("compare", help="two scenarios side by side in 2030 and 2050")
    co.add_argument("a", metavar="A.yaml")
    co.add_argument("b", metavar="B.yaml")
    co.add_argument("-o", "--output", help="write both scenarios' IAMC results")
    co.add_argument("--years", **years)
    co.add_argument("--variable", action="append")
    co.set_defaults(func=cmd_compare)
    ft = sub.add_parser("facilitator-token",
                        help="print the participants' link and the Plénière's (token created "
                        "if needed)")
    ft.add_argument("--host", default="127.0.0.1",
                    help="the address the server listens on (0.0.0.0: the LAN address)")
    ft.add_argument("--port", type=int, default=8866)
    ft.add_argument("--public-url", default="", help="the address participants use "
                    "(default: $PUBLIC_URL, else detected)")
    ft.set_defaults(func=cmd_facilitator_token)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except WorkbenchError as err:
        print(f"error: {printable(err)}", file=sys.stderr)
        return 2
    except KeyError as err:  # a year outside 2021-2050
        print(f"error: {printable(err.args[0])}", file=sys.stderr)
        return 2
    except (RecursionError, OverflowError, MemoryError) as err:  # hostile input, never a
        print(f"error: the input is too large or too deeply nested "  # traceback
              f"({type(err).__name__})", file=sys.stderr)
        return 2
    return 0
