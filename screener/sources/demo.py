"""Synthetic daily prices and FX rates for demos and tests (:class:`DemoSource`).

EVERYTHING this module produces is SYNTHETIC: prices, volumes, market caps and FX rates are
drawn from a seeded random model. Nothing here is market data. Results carry
``synthetic=True`` and instrument names read ``"SYNTHETIC <ticker>"``.

The model, per trading day ``t`` (log returns)::

    r_t = mu/252 + b_m * M_t + b_s * S_t + e * J_t + j_t + s_i/sqrt(252) * g_t

* ``M`` is a broad-market factor (16 % a year), ``S`` a rare-earth sector factor (22 % a
  year). Both are GARCH(1,1) paths with Student-t(4) innovations and each has its own fixed
  seed, so every name sees the same factor path.
* ``J`` is the sector's jump on a policy-event day (``event_dates``): about 8 % in size
  (lognormal), up with probability 0.6 and down otherwise (supply news cuts both ways), zero
  on other days. ``e`` is the profile's event loading: large and positive for
  non-China miners, negative for ``contrast`` (Chinese large caps), zero for SPY. ``j`` is
  a name-specific jump on the same days: normal with sd ``event_idio * J`` (0.1 to 0.6 by
  profile, 0 for SPY), so a few names move against the sector.
* ``g`` is the name's own GARCH(1,1)-t(4) shock with unit unconditional variance; ``s_i`` is
  chosen so the total annualised volatility matches the profile
  (``s_i^2 = vol^2 - b_m^2 sM^2 - b_s^2 sS^2``).

GARCH: ``h_t = w + a * h_{t-1} z_{t-1}^2 + b * h_{t-1}``, ``a = 0.05, b = 0.93``,
``w = 1 - a - b`` (unit unconditional variance; Bollerslev 1986). t-innovations have
``df = 4``, scaled by ``sqrt((df - 2) / df)`` to unit variance and clipped at 6 so a
synthetic series never trips the store's bad-tick check by a one-in-a-million draw.

FX rates are mean-reverting in logs around a plausible level (AR(1), half-life one year),
Student-t innovations, vol by currency (SAR and HKD are pegged: near-zero vol).

Determinism: each component of each ticker draws from its own ``numpy`` Generator seeded
from ``(seed, zlib.crc32(component|ticker))`` and every path is generated from the fixed
``anchor`` date to ``end``; the requested window is a slice. A ticker's path therefore does
not depend on ``start``, on ``end`` (a later ``end`` only appends days) or on the other
tickers requested.

Calendar: Monday–Friday business days (``pandas.bdate_range``). Equity rows are dropped on
1 January and 25 December (closed nearly everywhere) and, for non-US suffixes, on about 1 %
of other days chosen by ``crc32(suffix|date)``, so series have gaps like real data. FX rows
are never dropped. Prices are generated directly in the major currency unit
(``price_divisor`` 1).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from screener import settings
from screener.sources import exchanges
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS, FetchResult, SourceName

DAYS = 252
T_DF = 4.0
T_CLIP = 6.0
GARCH_A, GARCH_B = 0.05, 0.93
MARKET_VOL, SECTOR_VOL = 0.16, 0.22
EVENT_JUMP = 0.08  # median size of the sector's jump on a policy-event day (log return)
EVENT_UP = 0.6  # probability that an event-day jump is up
FX_HALF_LIFE_DAYS = 252

PROFILES = (
    "producer",
    "developer",
    "explorer",
    "diversified",
    "contrast",
    "market",
    "sector",
    "fx",
)

# fmt: off
#: USD per one unit of each currency (a plausible recent level; the FX paths wander around it).
USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0, "AUD": 0.66, "CAD": 0.73, "GBP": 1.27, "EUR": 1.08, "JPY": 0.0068,
    "KRW": 0.00073, "CNY": 0.138, "HKD": 0.128, "SAR": 0.2667, "BRL": 0.18, "ZAR": 0.055,
    "ILS": 0.27, "INR": 0.012, "MYR": 0.22, "NOK": 0.094, "SEK": 0.095, "NZD": 0.60,
    "CHF": 1.13, "SGD": 0.74,
}

#: Annualised FX volatility against USD; pegs are near zero. Others default to 9 %.
FX_VOL: dict[str, float] = {
    "USD": 0.0, "SAR": 0.002, "HKD": 0.005, "CNY": 0.04, "JPY": 0.10, "BRL": 0.15,
    "ZAR": 0.15, "KRW": 0.08,
}
# fmt: on
DEFAULT_FX_VOL = 0.09


@dataclass(frozen=True)
class ProfileParams:
    """Synthetic parameters of one profile (all USD-based; converted to local currency)."""

    vol: float  # annualised total volatility target
    beta_market: float
    beta_sector: float
    event_loading: float  # multiple of the sector jump J on event days
    event_idio: float  # sd of the name's own event-day jump, as a multiple of J
    drift: float  # annual log drift
    level_usd: float  # median starting price at the anchor date
    mcap_usd: float  # median market cap; NaN for ETFs
    adv_usd: float  # median daily traded value


_PARAMS: dict[str, ProfileParams] = {
    "producer": ProfileParams(0.45, 0.8, 1.0, 1.0, 0.4, 0.03, 20.0, 3e9, 20e6),
    "diversified": ProfileParams(0.30, 0.9, 0.5, 0.4, 0.3, 0.04, 40.0, 2e10, 60e6),
    "developer": ProfileParams(0.70, 0.7, 1.2, 1.5, 0.5, 0.0, 2.0, 3e8, 1.5e6),
    "explorer": ProfileParams(1.00, 0.6, 1.3, 2.0, 0.6, -0.05, 0.3, 3e7, 1.5e5),
    "contrast": ProfileParams(0.40, 0.3, 0.6, -0.3, 0.2, 0.02, 4.0, 1e10, 1e8),
    "broad": ProfileParams(0.17, 1.0, 0.05, 0.0, 0.0, 0.07, 250.0, float("nan"), 3e10),
    # an ETF is a basket: its own event-day noise is small
    "sector_etf": ProfileParams(0.30, 0.6, 1.0, 1.0, 0.1, 0.0, 15.0, float("nan"), 2e7),
}


def _rng(seed: int, *keys: str) -> np.random.Generator:
    """A Generator that depends only on ``seed`` and ``keys`` (crc32: stable across runs)."""
    return np.random.default_rng([seed, zlib.crc32("|".join(keys).encode())])


def _t_shocks(rng: np.random.Generator, n: int) -> np.ndarray:
    """Student-t(4) draws scaled to unit variance and clipped at +-6 (one call: prefix-stable)."""
    z: np.ndarray = rng.standard_t(T_DF, size=n) * np.sqrt((T_DF - 2.0) / T_DF)
    clipped: np.ndarray = np.clip(z, -T_CLIP, T_CLIP)
    return clipped


def _garch(z: np.ndarray) -> np.ndarray:
    """Shocks ``sqrt(h_t) z_t`` of a GARCH(1,1) with unit unconditional variance, ``h_0 = 1``."""
    w = 1.0 - GARCH_A - GARCH_B
    out = np.empty_like(z)
    h = 1.0
    for t, zt in enumerate(z.tolist()):  # recursion: inherently sequential
        e = math.sqrt(h) * zt
        out[t] = e
        h = w + GARCH_A * e * e + GARCH_B * h
    return out


def business_days(anchor: date, end: date) -> pd.DatetimeIndex:
    """Mon–Fri days from ``anchor`` to ``end`` inclusive (the demo's full calendar)."""
    return pd.bdate_range(anchor, end).astype("datetime64[ns]")


def _event_days(index: pd.DatetimeIndex, event_dates: Sequence[date]) -> dict[int, date]:
    """Position in ``index`` of each event (weekend events move to the next business day)."""
    out: dict[int, date] = {}
    for d in sorted(set(event_dates)):
        pos = int(index.searchsorted(pd.Timestamp(d)))
        if pos < len(index):
            out.setdefault(pos, d)
    return out


def factor_returns(
    index: pd.DatetimeIndex, seed: int = 0, event_dates: Sequence[date] = ()
) -> pd.DataFrame:
    """Synthetic daily log returns of the common factors on ``index`` (which must start at anchor).

    Columns: ``market``, ``sector`` (diffusive part plus jumps) and ``jump`` (the sector's jump
    ``J``: lognormal size around 8 %, up with probability EVENT_UP, on event days; 0 elsewhere). Row 0 is 0 (the anchor day).
    """
    n = len(index)
    sd = np.sqrt(DAYS)
    market = MARKET_VOL / sd * _garch(_t_shocks(_rng(seed, "factor", "market"), n))
    sector = SECTOR_VOL / sd * _garch(_t_shocks(_rng(seed, "factor", "sector"), n))
    jump = np.zeros(n)
    for pos, d in _event_days(index, event_dates).items():
        rng = _rng(seed, "event", d.isoformat())
        size, up = rng.standard_normal(), rng.random() < EVENT_UP
        jump[pos] = (1.0 if up else -1.0) * EVENT_JUMP * np.exp(0.3 * size)
    market[:1] = sector[:1] = jump[:1] = 0.0
    return pd.DataFrame({"market": market, "sector": sector + jump, "jump": jump}, index=index)


def _ohlcv(
    key: str, seed: int, close: np.ndarray, daily_vol: float, adv_local: float | None
) -> dict[str, np.ndarray]:
    """Open/high/low/volume consistent with ``close``: low <= min(open, close), high >= max.

    The open sits a random share ``u ~ U(0, 1)`` of the way along the day's log move from the
    previous close (plus a small gap); the high and low extend beyond the open/close range by
    half-normal amounts of half a daily vol. Volume is lognormal around ``adv_local / close``
    and rises with the size of the day's move.
    """
    n = len(close)
    # One generator per array: a second draw from a shared generator would start at an
    # offset that depends on n, i.e. on ``end``, and break the prefix property.
    u = _rng(seed, "open-share", key).uniform(size=n)
    gap = _rng(seed, "open-gap", key).standard_normal(n)
    up = np.abs(_rng(seed, "high", key).standard_normal(n))
    down = np.abs(_rng(seed, "low", key).standard_normal(n))
    logc = np.log(close)
    r = np.diff(logc, prepend=logc[0])
    prev = np.concatenate([logc[:1], logc[:-1]])
    open_ = np.exp(prev + u * r + 0.1 * daily_vol * gap)
    high = np.maximum(open_, close) * np.exp(0.5 * daily_vol * up)
    low = np.minimum(open_, close) * np.exp(-0.5 * daily_vol * down)
    if adv_local is None:  # FX: Yahoo reports zero volume for currency pairs
        volume = np.zeros(n)
    else:
        surprise = np.abs(r) / max(daily_vol, 1e-12) - 0.8
        noise = _rng(seed, "volume", key).standard_normal(n)
        volume = np.maximum(
            1.0, np.round(adv_local / close * np.exp(0.6 * noise + 0.3 * surprise - 0.18))
        )
    return {"open": open_, "high": high, "low": low, "volume": volume}


def _usd_rate_path(ccy: str, n: int, seed: int) -> np.ndarray:
    """USD per one ``ccy`` on ``n`` days: log AR(1) around ``USD_PER_UNIT[ccy]``, x_0 = level.

    ``x_t = phi * x_{t-1} + sigma_d * z_t`` with ``phi = 2^(-1/252)`` (one-year half-life).
    """
    level = USD_PER_UNIT[ccy]
    vol = FX_VOL.get(ccy, DEFAULT_FX_VOL)
    if vol == 0.0:
        return np.full(n, level)
    from scipy.signal import lfilter  # here: scipy.signal costs a warm run ~0.2 s to import

    phi = 0.5 ** (1.0 / FX_HALF_LIFE_DAYS)
    eps = vol / np.sqrt(DAYS) * _t_shocks(_rng(seed, "fx", ccy), n)
    eps[0] = 0.0
    x = np.asarray(lfilter([1.0], [1.0, -phi], eps), dtype=float)
    rate: np.ndarray = level * np.exp(x)
    return rate


def parse_fx(ticker: str) -> tuple[str, str] | str:
    """``'AUDUSD=X' -> ('AUD', 'USD')``; ``'JPY=X' -> ('USD', 'JPY')`` (Yahoo's convention).

    Returns an error reason (str) instead when the symbol is not a pair the demo can price.
    """
    core = ticker.upper().removesuffix("=X")
    if len(core) == 6:
        base, quote = core[:3], core[3:]
    elif len(core) == 3:
        base, quote = "USD", core
    else:
        return f"{ticker} is not a currency pair (expected e.g. AUDUSD=X)"
    if base == quote:
        return f"{ticker}: base and quote currency are the same"
    for ccy in (base, quote):
        if ccy not in USD_PER_UNIT:
            return f"demo source has no rate for {ccy}"
    return base, quote


def _holiday_mask(index: pd.DatetimeIndex, sfx: str) -> np.ndarray:
    """True on days an equity market with suffix ``sfx`` is (synthetically) closed."""
    closed = ((index.month == 1) & (index.day == 1)) | ((index.month == 12) & (index.day == 25))
    if sfx != "":
        days = index.strftime("%Y-%m-%d")
        extra = [zlib.crc32(f"holiday|{sfx}|{d}".encode()) % 100 == 0 for d in days]
        closed = closed | np.asarray(extra, dtype=bool)
    return np.asarray(closed, dtype=bool)


def _closed(day: date, sfx: str) -> bool:
    """:func:`_holiday_mask` for one business day."""
    if (day.month, day.day) in ((1, 1), (12, 25)):
        return True
    return sfx != "" and zlib.crc32(f"holiday|{sfx}|{day.isoformat()}".encode()) % 100 == 0


def _empty_prices() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in PRICE_COLUMNS})
    return frame.astype({"ticker": "str", "date": "datetime64[ns]"})


def _empty_instruments() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in INSTRUMENT_COLUMNS})


def last_business_day(day: date) -> date:
    """``day`` itself on Mon–Fri, else the Friday before."""
    return day - timedelta(days=max(0, day.weekday() - 4))


class DemoSource:
    """Deterministic SYNTHETIC prices (see the module docstring for the model).

    ``profiles`` maps ticker -> profile (unknown tickers are ``developer``; ``...=X`` tickers are
    always ``fx``). ``currencies`` maps ticker -> currency; otherwise the suffix's currency from
    :mod:`screener.sources.exchanges`, in its major unit. Market caps are synthetic, in the local
    currency (last close x synthetic share count).
    """

    name: SourceName = "demo"
    synthetic: bool = True

    def __init__(
        self,
        profiles: Mapping[str, str] | None = None,
        event_dates: Sequence[date] = (),
        currencies: Mapping[str, str] | None = None,
        years: int = int(settings.get("history_years")),
        anchor: date = date(2019, 1, 1),
        seed: int = 0,
    ) -> None:
        bad = {t: p for t, p in (profiles or {}).items() if p not in PROFILES}
        if bad:
            raise ValueError(f"unknown demo profile(s) {bad}; choose from {', '.join(PROFILES)}")
        if seed < 0:
            raise ValueError("seed must be >= 0")
        self.profiles = {t.upper(): p for t, p in (profiles or {}).items()}
        self.currencies = {t.upper(): c for t, c in (currencies or {}).items()}
        self.event_dates = tuple(event_dates)
        self.years = years
        self.anchor = anchor
        self.seed = seed

    def profile_of(self, ticker: str) -> str:
        if ticker.endswith("=X"):
            return "fx"
        return self.profiles.get(ticker, "developer")

    def last_bar_day(self, ticker: str, day: date) -> date:
        """The last date on or before ``day`` on which :meth:`fetch` gives ``ticker`` a bar
        (FX pairs: every business day; equities skip their market's synthetic holidays)."""
        last = last_business_day(day)
        if ticker.upper().endswith("=X"):
            return last
        sfx = exchanges.suffix(ticker.strip().upper())
        for _ in range(30):  # a few days at most: holidays are ~1 % of days
            if not _closed(last, sfx):
                return last
            last = last_business_day(last - timedelta(days=1))
        return last

    def _params(self, profile: str) -> ProfileParams:
        # Benchmarks by the role their universe gives them: a broad market or a sector ETF.
        return _PARAMS[{"market": "broad", "sector": "sector_etf"}.get(profile, profile)]

    def _currency(self, ticker: str) -> str | None:
        given = self.currencies.get(ticker)
        if given is None:
            ex = exchanges.exchange_of(ticker)
            given = ex.currency if ex else None
        return exchanges.major_unit(given)[0]

    def _equity(
        self, ticker: str, profile: str, factors: pd.DataFrame
    ) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        p = self._params(profile)
        n, seed = len(factors), self.seed
        idio_var = p.vol**2 - (p.beta_market * MARKET_VOL) ** 2 - (p.beta_sector * SECTOR_VOL) ** 2
        idio = np.sqrt(max(idio_var, (0.05 * p.vol) ** 2)) / np.sqrt(DAYS)
        r = (
            p.drift / DAYS
            + p.beta_market * factors["market"].to_numpy()
            + p.beta_sector * (factors["sector"] - factors["jump"]).to_numpy()
            + p.event_loading * factors["jump"].to_numpy()
            + idio * _garch(_t_shocks(_rng(seed, "idio", ticker), n))
        )
        for pos, d in _event_days(factors.index, self.event_dates).items():
            own = _rng(seed, "event", ticker, d.isoformat()).standard_normal()
            r[pos] += own * p.event_idio * factors["jump"].iat[pos]
        r[0] = 0.0
        ccy = self._currency(ticker)
        fx = USD_PER_UNIT.get(ccy or "USD", 1.0)
        level_usd = p.level_usd * np.exp(0.4 * _rng(seed, "level", ticker).standard_normal())
        close = level_usd / fx * np.exp(np.cumsum(r))
        cols = _ohlcv(ticker, seed, close, p.vol / np.sqrt(DAYS), p.adv_usd / fx)
        cols["close"] = close
        # The market cap is drawn around the profile's median at the end date, not carried from
        # the anchor: five years of a synthetic path would otherwise inflate it far out of range.
        mcap_usd = p.mcap_usd * np.exp(0.5 * _rng(seed, "mcap", ticker).standard_normal())
        ex = exchanges.exchange_of(ticker)
        meta: dict[str, object] = {
            "currency": ccy,
            "exchange": ex.name if ex else None,
            "timezone": ex.timezone if ex else None,
            "market_cap": float(mcap_usd / fx),
            "quote_currency": ccy,
        }
        return cols, meta

    def _fx(self, base: str, quote: str, n: int) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        close = _usd_rate_path(base, n, self.seed) / _usd_rate_path(quote, n, self.seed)
        vol = max(FX_VOL.get(base, DEFAULT_FX_VOL), FX_VOL.get(quote, DEFAULT_FX_VOL))
        cols = _ohlcv(f"{base}{quote}=X", self.seed, close, vol / np.sqrt(DAYS), None)
        cols["close"] = close
        # Yahoo files currency pairs under exchange "CCY", London time.
        meta: dict[str, object] = {
            "currency": quote,
            "exchange": "CCY",
            "timezone": "Europe/London",
            "market_cap": float("nan"),
            "quote_currency": quote,
        }
        return cols, meta

    def fetch(
        self, tickers: Sequence[str], start: date | None = None, end: date | None = None
    ) -> FetchResult:
        """SYNTHETIC bars for ``tickers`` from ``start`` to ``end`` inclusive.

        ``end`` defaults to the last business day on or before today, ``start`` to ``end``
        minus ``years``. Days before ``anchor`` do not exist in the demo.
        """
        end = end or last_business_day(date.today())
        start = start or (pd.Timestamp(end) - pd.DateOffset(years=self.years)).date()
        index = business_days(self.anchor, end)
        if len(index) == 0:
            reason = (
                f"no demo data on or before {end} (the synthetic history starts on {self.anchor})"
            )
            return FetchResult(
                "demo",
                True,
                _empty_prices(),
                _empty_instruments(),
                dict.fromkeys((t.strip().upper() for t in tickers), reason),
            )
        window = (index >= pd.Timestamp(start)) & (index <= pd.Timestamp(end))
        factors: pd.DataFrame | None = None
        frames: list[pd.DataFrame] = []
        metas: list[dict[str, object]] = []
        failures: dict[str, str] = {}
        holidays: dict[str, np.ndarray] = {}
        for raw in dict.fromkeys(t.strip().upper() for t in tickers):
            profile = self.profile_of(raw)
            if profile == "fx":
                pair = parse_fx(raw)
                if isinstance(pair, str):
                    failures[raw] = pair
                    continue
                cols, meta = self._fx(*pair, len(index))
                keep = window
            else:
                if factors is None:
                    factors = factor_returns(index, self.seed, self.event_dates)
                cols, meta = self._equity(raw, profile, factors)
                sfx = exchanges.suffix(raw)
                if sfx not in holidays:
                    holidays[sfx] = _holiday_mask(index, sfx)
                keep = window & ~holidays[sfx]
            if not keep.any():
                failures[raw] = (
                    f"no demo data between {start} and {end} "
                    f"(the synthetic history starts on {self.anchor})"
                )
                continue
            cols["adj_close"] = cols["close"]  # no synthetic dividends or splits
            frame = pd.DataFrame({"ticker": raw, "date": index, **cols})[keep]
            frames.append(frame[list(PRICE_COLUMNS)])
            metas.append({"ticker": raw, "name": f"SYNTHETIC {raw}", "price_divisor": 1.0, **meta})
        prices = pd.concat(frames, ignore_index=True) if frames else _empty_prices()
        instruments = (
            pd.DataFrame(metas, columns=list(INSTRUMENT_COLUMNS)) if metas else _empty_instruments()
        )
        return FetchResult("demo", True, prices, instruments, failures)
