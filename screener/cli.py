"""The command line. Thin: parse options, call one core function, print or write.

Exit codes: 0 success; 1 the job ran but some data failed (the output says which);
2 bad input (a universe file, an option, an unknown ticker).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from screener import __version__
from screener.errors import ScreenerError

F = TypeVar("F", bound=Callable[..., Any])


class ScreenerClickError(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def domain_errors(fn: F) -> F:
    """Turn domain errors into click errors with the contract's exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ScreenerError as exc:
            raise ScreenerClickError(str(exc), exc.exit_code) from exc

    return wrapper  # type: ignore[return-value]


universe_option = click.option(
    "--universe",
    "-u",
    "universe",
    default="rare_earths",
    show_default=True,
    help="A shipped universe name or a path to a universe YAML file.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
weights_option = click.option(
    "--weights",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML file overriding model parameters (e.g. factor weights).",
)


def _dump(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="screener")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SCREENER_HOME",
    help="Where the price store and run history live (default: the platform's user data dir; "
    "env SCREENER_HOME).",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """Screen listed companies for rare-earth supply-chain exposure outside China, paired with
    price risk. Not investment advice."""
    ctx.obj = {"data_dir": data_dir}


# --- universe ------------------------------------------------------------------------------


@cli.group()
def universe() -> None:
    """List, show and validate universes (company data files)."""


@universe.command("list")
@json_option
@domain_errors
def universe_list(as_json: bool) -> None:
    """Universes available: name, companies, listed count, as-of range."""
    from screener.universe import available, load

    rows = []
    for name, path in available().items():
        u = load(path)
        rng = u.as_of_range()
        rows.append(
            {
                "name": name,
                "title": u.title,
                "version": u.version,
                "companies": len(u.companies),
                "listed": len(u.listed),
                "as_of_min": rng[0].isoformat() if rng else None,
                "as_of_max": rng[1].isoformat() if rng else None,
                "path": str(path),
            }
        )
    if as_json:
        _dump(rows)
        return
    click.echo(f"{'name':<16} {'companies':>9} {'listed':>6}  as-of range             title")
    for r in rows:
        click.echo(
            f"{r['name']:<16} {r['companies']:>9} {r['listed']:>6}  "
            f"{r['as_of_min']} – {r['as_of_max']}  {r['title']}"
        )


@universe.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@domain_errors
def universe_validate(paths: tuple[Path, ...]) -> None:
    """Check universe files; list every problem. Exit 0 when clean, 2 otherwise.

    Without PATHS, checks every shipped universe and the model and events files."""
    from screener.errors import UniverseError
    from screener.model import load_model
    from screener.universe import available, companion, load, load_jurisdictions

    targets = list(paths) or list(available().values())
    failed = 0
    for path in targets:
        try:
            jur = load_jurisdictions(companion(Path(path), "jurisdictions"))
            u = load(path, jurisdictions=jur)
            load_model(base=companion(Path(path), "model"))
        except UniverseError as exc:
            failed += 1
            click.echo(str(exc), err=True)
            continue
        click.echo(
            f"{path}: ok — {len(u.companies)} companies ({len(u.listed)} listed), "
            f"{len(u.benchmarks)} benchmarks, {len(u.events)} events"
        )
    if failed:
        raise ScreenerClickError(f"{failed} of {len(targets)} file(s) have problems", 2)


@universe.command("show")
@universe_option
@weights_option
@json_option
@click.option("--all", "show_all", is_flag=True, help="Include unlisted (context) companies.")
@domain_errors
def universe_show(universe: str, weights: Path | None, as_json: bool, show_all: bool) -> None:
    """Companies ranked by exposure score, with top factors and flags."""
    from screener.profile import company_view
    from screener.scored import load_scored

    scored = load_scored(universe, weights=weights)
    ranked = scored.ranked(listed_only=not show_all)
    if as_json:
        _dump(
            [
                {"rank": i, **company_view(c, e, scored.jurisdictions)}
                for i, (c, e) in enumerate(ranked, start=1)
            ]
        )
        return
    click.echo(
        f"Universe {scored.universe.name} ({scored.universe.version}): "
        f"{len(ranked)} {'companies' if show_all else 'listed companies'}, ranked by exposure"
    )
    click.echo(f"{'#':>3} {'ticker':<10} {'name':<34} {'score':>5}  top factors / flags")
    for i, (c, e) in enumerate(ranked, start=1):
        top = ", ".join(f"{f.name} {f.points:.0f}" for f in e.top_factors(3))
        flags = f"  [{' '.join(e.flags)}]" if e.flags else ""
        ticker = c.primary_ticker or "(unlisted)"
        click.echo(f"{i:>3} {ticker:<10} {c.name[:34]:<34} {e.score:>5.1f}  {top}{flags}")


# --- lookup ----------------------------------------------------------------------------


@cli.command()
@click.argument("queries", nargs=-1, required=True, metavar="TICKER_OR_ID...")
@universe_option
@weights_option
@json_option
@domain_errors
def lookup(queries: tuple[str, ...], universe: str, weights: Path | None, as_json: bool) -> None:
    """One company's score, why, sources (and risk numbers once prices are stored).

    Accepts any listing symbol of a company (primary or secondary) or its id,
    case-insensitive."""
    from screener.lookup import find_company, format_text
    from screener.profile import company_view
    from screener.scored import load_scored

    scored = load_scored(universe, weights=weights)
    listed_rank = {c.id: i for i, (c, _) in enumerate(scored.ranked(listed_only=True), start=1)}
    views = []
    for q in queries:
        company = find_company(scored.universe, q)
        view = company_view(company, scored.exposures[company.id], scored.jurisdictions)
        views.append(view)
    if as_json:
        _dump(views[0] if len(views) == 1 else views)
        return
    for i, view in enumerate(views):
        if i:
            click.echo("\n" + "─" * 100 + "\n")
        rank = (listed_rank[view["id"]], len(listed_rank)) if view["id"] in listed_rank else None
        click.echo(format_text(view, rank=rank))


def main() -> None:
    cli(prog_name="screener")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]
