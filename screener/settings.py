"""One source of truth for defaults.

Every tunable number the tool uses at run time lives in ``SETTINGS``: name, default, unit and a
one-line help. The CLI reads its defaults from here and the README's settings table is checked
against it by a test (``tests/test_settings.py``), so the docs cannot drift from the code.

Model parameters (factor weights, jurisdiction tiers, maturity values) are *data*, not
settings: they live in ``universes/model.yaml`` and ``universes/jurisdictions.yaml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APP_NAME = "screener"
ENV_HOME = "SCREENER_HOME"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    unit: str
    help: str


_SETTINGS: tuple[Setting, ...] = (
    # --- calendar and risk conventions -------------------------------------------------
    Setting("trading_days", 252, "days/year", "Trading days per year used to annualise."),
    Setting("var_level", 0.95, "probability", "Confidence level of VaR and CVaR."),
    Setting("ewma_lambda", 0.94, "", "RiskMetrics decay factor of the EWMA volatility."),
    Setting("beta_years", 2, "years", "Window of weekly returns for beta and correlation."),
    Setting("adv_ticket_usd", 1_000_000.0, "USD", "Ticket size used for days-to-trade."),
    Setting("adv_participation", 0.20, "share of ADV", "Share of daily volume one may trade."),
    Setting(
        "min_obs_share",
        0.90,
        "share of window",
        "A windowed risk metric needs at least this share of its window's observations, else NaN.",
    ),
    Setting(
        "beta_min_weeks", 52, "weeks", "Fewest pairwise weekly returns for beta and correlation."
    ),
    Setting(
        "fx_fill_days",
        3,
        "calendar days",
        "An FX rate may be carried forward this many days to a ticker's trading day.",
    ),
    Setting(
        "gap_business_days",
        3,
        "business days",
        "A run of missing business days longer than this counts as a data gap.",
    ),
    Setting(
        "jump_return",
        0.50,
        "return",
        "A daily |return| above this counts as a flagged jump in data quality.",
    ),
    # --- price data ----------------------------------------------------------------------
    Setting("history_years", 5, "years", "History fetched for a ticker seen for the first time."),
    Setting(
        "refresh_overlap_days",
        5,
        "days",
        "Re-fetched before the last stored date to pick up revisions.",
    ),
    Setting(
        "refresh_chunk",
        50,
        "tickers",
        "Tickers fetched and written per store transaction during a refresh.",
    ),
    Setting(
        "metadata_max_age_days",
        7,
        "days",
        "Instrument metadata (currency, exchange, market cap) older than this is fetched again.",
    ),
    Setting(
        "stale_price_days", 4, "days", "A last bar older than this many calendar days is stale."
    ),
    Setting("yahoo_chunk", 50, "symbols", "Symbols per yfinance download call."),
    Setting("yahoo_threads", 2, "threads", "Threads yfinance may use inside one call."),
    Setting(
        "yahoo_pause", 1.0, "seconds", "Pause between chunks, to stay under Yahoo's rate limit."
    ),
    Setting(
        "yahoo_retries",
        3,
        "attempts",
        "Retries of failed symbols, with jittered exponential backoff.",
    ),
    Setting("yahoo_timeout", 20, "seconds", "HTTP timeout of one yfinance request."),
    Setting(
        "yahoo_backoff",
        5.0,
        "seconds",
        "Base of the retry backoff: base × 2^(retry−1) × (1 + jitter), jitter in [0, 1).",
    ),
    Setting(
        "yahoo_deadline",
        600.0,
        "seconds",
        "Longest one Yahoo refresh keeps asking: no new request, backoff or retry starts "
        "after it; symbols not fetched by then fail as 'deadline' (a request in flight ends "
        "within yahoo_timeout).",
    ),
    Setting(
        "store_lock_wait",
        10.0,
        "seconds",
        "How long a reader waits for a writer to release the store.",
    ),
    Setting(
        "bad_tick_move",
        0.50,
        "return",
        "A one-day move larger than this that reverses next day is flagged.",
    ),
    # --- screen ----------------------------------------------------------------------------
    Setting("preset", "mvis", "", "Default investability gate preset (mvis, eqm, none)."),
)

SETTINGS: dict[str, Setting] = {s.name: s for s in _SETTINGS}


def get(name: str) -> Any:
    """The default value of setting ``name``."""
    return SETTINGS[name].default


#: The demo store lives apart from real data, so synthetic prices never mix with market data.
DEMO_SUBDIR = "demo"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Where the store, yfinance's caches and reports live.

    Order: an explicit ``--data-dir``, then ``$SCREENER_HOME``, then the platform's user
    data dir (``~/.local/share/screener`` on Linux).
    """
    if override:
        return Path(override).expanduser()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    import platformdirs  # deferred: keeps `screener --help` light

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Where rebuildable caches live (compiled templates): ``$SCREENER_HOME/cache`` when set,
    else the platform's user cache dir (``~/.cache/screener`` on Linux). Deleting it is safe."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser() / "cache"
    import platformdirs  # deferred: keeps `screener --help` light

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def package_data_dir() -> Path:
    """Folder that holds ``universes/`` and ``templates/``.

    In a wheel they are shipped inside the package as ``screener/_data``; in a source checkout
    (editable install, tests) they sit at the repository root.
    """
    here = Path(__file__).resolve().parent
    shipped = here / "_data"
    if (shipped / "universes").is_dir():
        return shipped
    return here.parent


def universes_dir() -> Path:
    return package_data_dir() / "universes"


def templates_dir() -> Path:
    return package_data_dir() / "templates"


def markdown_table() -> str:
    """The README's settings table (tests/test_docs.py checks the README holds exactly this)."""
    rows = ["| setting | default | unit | meaning |", "|---|---|---|---|"]
    for s in _SETTINGS:
        rows.append(f"| `{s.name}` | `{s.default!r}` | {s.unit} | {s.help} |")
    return "\n".join(rows)


def store_dir(override: str | os.PathLike[str] | None, *, demo: bool) -> Path:
    """The folder of the price store: the data dir, or its demo sub-folder for synthetic data."""
    base = data_dir(override)
    return base / DEMO_SUBDIR if demo else base
