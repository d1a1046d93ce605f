"""The run document rendered as HTML: the report and the one-company card page.

Compute → arrange → render: ``screen.build`` computes the document (docs/screen-json.md);
:mod:`screener.report.context` arranges it into frozen view records; the jinja templates in
``templates/`` only loop and format. One strict :class:`jinja2.Environment` (autoescape on,
``StrictUndefined``); filters from :mod:`screener.report.formatters` return plain text, and nothing
from the universe or the price source is ever wrapped in ``Markup``.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from screener import settings
from screener.errors import NotFoundError
from screener.report import formatters
from screener.report.context import build_card_context, build_report_context
from screener.screen.types import RunDoc

__all__ = ["environment", "render_card", "render_report"]


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs: compiling them is about a tenth of a second of
    every weekly run. Jinja keys each entry by the template's source checksum, so an edited
    template is recompiled; a cache folder that cannot be made just means no cache (a
    read-only data dir must not stop a report)."""
    folder = settings.cache_dir() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@lru_cache(maxsize=4)
def _environment(templates: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(formatters.FILTERS)
    return env


def environment() -> jinja2.Environment:
    """The one template environment, loading from :func:`settings.templates_dir`."""
    return _environment(str(settings.templates_dir()))


def render_report(doc: RunDoc) -> str:
    """The self-contained HTML report of a run document."""
    ctx = build_report_context(doc)
    return environment().get_template("report.html").render(r=ctx)


def render_card(doc: RunDoc, row_id: str) -> str:
    """A standalone page with one company's card; ``row_id`` is its id or one of its tickers.

    Raises :class:`NotFoundError` naming the run when no listed or context company matches.
    """
    ctx = build_card_context(doc, row_id)
    if ctx is None:
        run_id = doc["run"]["id"]
        raise NotFoundError(
            f"no company with id or ticker {row_id!r} in run {run_id}; "
            "ids and tickers are listed in the run's screen.csv"
        )
    return environment().get_template("card.html").render(r=ctx)
