"""The event-study engine: event days, market-model abnormal returns, CARs and their tests.

Pure functions over a dates × tickers frame of adjusted closes and one benchmark's closes; no
store, no universe scoring (:mod:`screener.screen.event_study` does the grouping). The method,
its conventions and references are in ``docs/event-study.md``; in short:

* **input**: daily *simple* returns ``r_t = P_t / P_(t-1) - 1`` of each ticker on its **own
  trading days** (consecutive non-missing closes), as in the metric registry;
* **benchmark return**, aligned per ticker: the benchmark's last close at or before the
  ticker's close instant (exchange time zone and close from :mod:`screener.sources.exchanges`),
  compounded over the same interval as the ticker's return. A Sydney close precedes New
  York's open, so an ASX day is matched with SPY's previous close-to-close move, not the same
  calendar date's (which happens after the ASX close);
* **event day** (τ = 0) per exchange: the first session at or after the announcement in that
  exchange's time zone; an announcement with a time at or after the exchange's close moves to
  the next session; without a time, the first session on or after the date;
* **market model** (MacKinlay 1997, §4.1): OLS ``r_t = α + β R_mt + ε_t`` on τ ∈ [−250, −30]
  (221 returns; at least ``min_obs(221)`` = 199 required), ``σ² = SSR / (n − 2)``;
* **abnormal return** ``AR_τ = r_τ − α − β R_mτ``; **CAR** over ``[τ1, τ2]`` is ``Σ AR_τ``;
* **variance of a CAR** with the estimation error of α and β (MacKinlay 1997, eq. 15 for one
  firm, written for a window of length L = τ2 − τ1 + 1):
  ``Var = σ² (L + L²/n + (Σ_win R_m − L·mean_est(R_m))² / Σ_est (R_m − mean_est(R_m))²)``.

Test statistics (:func:`bmp_test`, :func:`sign_test`, :func:`welch`) take the CARs of one
event across companies.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from screener.errors import ScreenerError
from screener.metrics.registry import min_obs
from screener.sources.exchanges import Exchange, exchange_of

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Obj = npt.NDArray[np.object_]

Window = tuple[int, int]
#: The CAR windows every event is measured over, in trading days of the company's exchange.
WINDOWS: tuple[Window, ...] = ((0, 1), (0, 5), (-1, 10))
#: The estimation window, in trading days relative to the event day (both ends included).
ESTIMATION: Window = (-250, -30)
#: Relative days whose abnormal returns are kept (the later chart's −5..+10, the windows).
PATH: Window = (-5, 10)
_BENCH_TZ = ZoneInfo("America/New_York")
_BENCH_CLOSE = "16:00"  # SPY and REMX are NYSE Arca listings


@dataclass(frozen=True)
class Announcement:
    """When an event became public: a date, and where a source gives it a time and zone."""

    id: str
    date: date
    time: str | None = None  # HH:MM
    tz: str | None = None  # IANA


@dataclass(frozen=True)
class MarketModel:
    """Market-model fits and abnormal returns for events × tickers (one benchmark).

    Arrays are indexed ``[event, ticker]``; ``ar`` has a third axis over ``taus``. Where
    ``reason[e, j]`` is not None the pair was not measured and its numbers are NaN.
    """

    events: tuple[str, ...]
    tickers: tuple[str, ...]
    taus: tuple[int, ...]
    event_day: Obj  # date of τ = 0 on the ticker's exchange, or None
    alpha: F64
    beta: F64
    sigma2: F64
    n_est: I64
    ar: F64
    #: per window: CAR and its variance (estimation error included)
    car: Mapping[Window, F64]
    car_var: Mapping[Window, F64]
    reason: Obj

    def scar(self, window: Window) -> F64:
        """Standardised CAR: ``CAR / sqrt(Var(CAR))``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out: F64 = self.car[window] / np.sqrt(self.car_var[window])
        return out


def event_day(a: Announcement, ex: Exchange) -> date:
    """The calendar date from which the exchange's first session counts as τ = 0.

    With a time: the announcement instant in the exchange's zone; at or after its close, the
    next calendar day. Without one: the announcement date itself.
    """
    if a.time is None or a.tz is None:
        return a.date
    hh, mm = (int(x) for x in a.time.split(":"))
    instant = datetime(a.date.year, a.date.month, a.date.day, hh, mm, tzinfo=ZoneInfo(a.tz))
    local = instant.astimezone(ZoneInfo(ex.timezone))
    ch, cm = (int(x) for x in ex.close.split(":"))
    return (
        local.date() + timedelta(days=1) if (local.hour, local.minute) >= (ch, cm) else local.date()
    )


def _close_instants(dates: pd.DatetimeIndex, tz: str, close: str) -> npt.NDArray[np.int64]:
    """UTC nanoseconds of each date's session close in ``tz``."""
    hh, mm = (int(x) for x in close.split(":"))
    local = (dates + pd.Timedelta(hours=hh, minutes=mm)).tz_localize(
        tz, nonexistent="shift_forward", ambiguous=False
    )
    out: npt.NDArray[np.int64] = local.tz_convert("UTC").asi8
    return out


def market_model(
    close: pd.DataFrame,
    benchmark: pd.Series,
    announcements: Sequence[Announcement],
    *,
    windows: Sequence[Window] = WINDOWS,
    estimation: Window = ESTIMATION,
) -> MarketModel:
    """Fit the market model for every (event, ticker) pair and take the abnormal returns.

    ``close``: adjusted closes, tz-naive exchange dates × tickers, NaN where a ticker has no
    session; ``benchmark``: the benchmark's closes on its own (New York) dates. Vectorised over
    events and tickers: each ticker's closes are packed into its own-day order once, and every
    window is a fancy index into that layout.
    """
    tickers = tuple(str(c) for c in close.columns)
    dates = pd.DatetimeIndex(close.index)
    t, n, e = len(dates), len(tickers), len(announcements)
    lo = min(PATH[0], *(w[0] for w in windows))
    hi = max(PATH[1], *(w[1] for w in windows))
    taus = tuple(range(lo, hi + 1))
    if lo <= estimation[1]:
        raise ValueError(f"event window starts at {lo}, inside the estimation window {estimation}")

    values = close.to_numpy(dtype=np.float64, na_value=np.nan)
    mask = np.isfinite(values)
    # Own-day layout: column j's closes in its own order at the top, NaN below.
    order = np.argsort(~mask, axis=0, kind="stable")
    own = np.take_along_axis(values, order, axis=0)
    count = mask.sum(axis=0)
    own[np.arange(t)[:, None] >= count[None, :]] = np.nan

    # Benchmark level at each ticker's close instant, per exchange; then on the own-day layout.
    exch = [exchange_of(s) for s in tickers]
    bench = benchmark.dropna()
    bench = bench[bench > 0]
    b_inst = _close_instants(pd.DatetimeIndex(bench.index), _BENCH_TZ.key, _BENCH_CLOSE)
    b_val = bench.to_numpy(dtype=np.float64)
    level = np.full((t, n), np.nan)
    groups: dict[Exchange, list[int]] = {}
    for j, ex in enumerate(exch):
        if ex is not None:
            groups.setdefault(ex, []).append(j)
    for ex, cols in groups.items():  # a loop over exchanges (a handful), not tickers
        pos = (
            np.searchsorted(b_inst, _close_instants(dates, ex.timezone, ex.close), side="right") - 1
        )
        lv = (
            np.where(pos >= 0, b_val[np.clip(pos, 0, None)], np.nan)
            if len(b_val)
            else np.full(t, np.nan)
        )
        level[:, cols] = lv[:, None]
    own_level = np.take_along_axis(level, order, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = own[1:] / own[:-1] - 1.0  # r[k, j]: return into own close k + 1
        rm = own_level[1:] / own_level[:-1] - 1.0

    # τ = 0 per (event, ticker): own close index k0 = closes before the event day; return q = k0 - 1.
    before = np.vstack([np.zeros((1, n), dtype=np.int64), np.cumsum(mask, axis=0, dtype=np.int64)])
    k0 = np.zeros((e, n), dtype=np.int64)
    day_obj = np.full((e, n), None, dtype=object)
    for i, a in enumerate(announcements):  # a loop over events and exchanges, not tickers
        for ex, cols in groups.items():
            p = int(dates.searchsorted(pd.Timestamp(event_day(a, ex))))
            k0[i, cols] = before[p, cols]
    q = k0 - 1
    reason = np.full((e, n), None, dtype=object)
    on_day = (k0 >= 0) & (k0 < count[None, :])
    k_safe = np.clip(k0, 0, max(t - 1, 0))
    src_row = np.take_along_axis(order, k_safe, axis=0) if e else np.zeros((0, n), dtype=np.int64)
    day_obj[on_day] = np.array([d.date() for d in dates[src_row[on_day]]], dtype=object)
    reason[:, np.array([ex is None for ex in exch], dtype=bool)] = "unknown exchange suffix"

    def gather(arr: F64, offsets: npt.NDArray[np.int64]) -> F64:
        idx = q[:, :, None] + offsets[None, None, :]
        ok = (idx >= 0) & (idx < len(arr))
        cols = np.broadcast_to(np.arange(n)[None, :, None], idx.shape)
        out: F64 = (
            np.where(ok, arr[np.clip(idx, 0, max(len(arr) - 1, 0)), cols], np.nan)
            if len(arr)
            else np.full(idx.shape, np.nan)
        )
        return out

    est_off = np.arange(estimation[0], estimation[1] + 1, dtype=np.int64)
    ry, rx = gather(r, est_off), gather(rm, est_off)
    w = np.isfinite(ry) & np.isfinite(rx)
    n_est = w.sum(axis=2).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.where(w, rx, 0.0).sum(axis=2) / n_est
        my = np.where(w, ry, 0.0).sum(axis=2) / n_est
        dx = np.where(w, rx - mx[..., None], 0.0)
        dy = np.where(w, ry - my[..., None], 0.0)
        sxx = (dx * dx).sum(axis=2)
        beta = (dx * dy).sum(axis=2) / sxx
        alpha = my - beta * mx
        resid = np.where(w, ry - alpha[..., None] - beta[..., None] * rx, 0.0)
        sigma2 = (resid * resid).sum(axis=2) / (n_est - 2)

    ev_off = np.arange(lo, hi + 1, dtype=np.int64)
    y, x = gather(r, ev_off), gather(rm, ev_off)
    ar = y - alpha[..., None] - beta[..., None] * x
    need = min_obs(len(est_off))
    free = reason == None  # noqa: E711 (element-wise on an object array)
    reason[free & ~on_day] = "no session on or after the event day"
    free = reason == None  # noqa: E711
    reason[free & (n_est < need)] = (
        f"needs {need} estimation-window returns, has "
        + pd.Series(n_est[free & (n_est < need)]).astype(str)
    ).to_numpy()
    free = reason == None  # noqa: E711
    reason[free & ~(np.isfinite(sxx) & (sxx > 0))] = "benchmark flat over the estimation window"
    free = reason == None  # noqa: E711
    bad = ~free
    alpha[bad] = beta[bad] = sigma2[bad] = np.nan
    ar[bad] = np.nan

    car: dict[Window, F64] = {}
    var: dict[Window, F64] = {}
    for win in windows:
        sl = slice(win[0] - lo, win[1] - lo + 1)
        length = win[1] - win[0] + 1
        c = ar[:, :, sl].sum(axis=2)  # NaN if any day of the window has no return
        with np.errstate(invalid="ignore", divide="ignore"):
            sx = x[:, :, sl].sum(axis=2) - length * mx
            v = sigma2 * (length + length**2 / n_est + sx * sx / sxx)
        car[win], var[win] = c, np.where(np.isfinite(c), v, np.nan)
    return MarketModel(
        events=tuple(a.id for a in announcements),
        tickers=tickers,
        taus=taus,
        event_day=day_obj,
        alpha=alpha,
        beta=beta,
        sigma2=sigma2,
        n_est=n_est,
        ar=ar,
        car=car,
        car_var=var,
        reason=reason,
    )


_WINDOW = re.compile(r"^\s*([+-]?\d+)\s*,\s*([+-]?\d+)\s*$")
#: How far a requested window may reach: it must end before the estimation window does.
WINDOW_LIMITS: Window = (-29, 20)


def parse_window(text: str) -> Window:
    """``"-1,+5"`` → ``(-1, 5)``; ScreenerError (exit 2) when malformed or out of range."""
    m = _WINDOW.match(text)
    if not m:
        raise ScreenerError(f"--window: {text!r} is not START,END in trading days (e.g. -1,+5)")
    lo, hi = int(m.group(1)), int(m.group(2))
    if not WINDOW_LIMITS[0] <= lo <= hi <= WINDOW_LIMITS[1]:
        raise ScreenerError(
            f"--window: {lo:+d},{hi:+d} needs START <= END, START >= {WINDOW_LIMITS[0]} (the "
            f"estimation window ends at -30) and END <= +{WINDOW_LIMITS[1]}"
        )
    return lo, hi


# --- cross-sectional tests over one event's companies ------------------------------------------


@dataclass(frozen=True)
class Stat:
    """A test statistic, its two-sided p-value and the observations it used."""

    stat: float
    p: float
    n: int


def bmp_test(car: F64, var: F64) -> Stat:
    """Boehmer, Musumeci & Poulsen (1991) standardised cross-sectional test of mean CAR = 0.

    Input: each company's CAR and its estimation-error-corrected variance for one event.
    Formula: ``SCAR_i = CAR_i / sqrt(Var_i)``; ``t = mean(SCAR) / (std(SCAR, ddof=1) / sqrt(N))``;
    two-sided p from Student's t with N − 1 degrees of freedom.
    BMP rather than Patell (1976): Patell's Z divides by the *estimation-window* variance only,
    so when the event itself raises return variance (which export-control news does) it
    over-rejects; BMP scales by the cross-sectional spread of the standardised CARs on the
    event day and stays well sized under event-induced variance, keeping Patell's weighting
    of noisy names down. NaN with fewer than 3 companies.
    """
    ok = np.isfinite(car) & np.isfinite(var) & (var > 0)
    s = car[ok] / np.sqrt(var[ok])
    k = int(ok.sum())
    if k < 3:
        return Stat(float("nan"), float("nan"), k)
    sd = float(np.std(s, ddof=1))
    if sd == 0:
        return Stat(float("nan"), float("nan"), k)
    stat = float(np.mean(s) / (sd / np.sqrt(k)))
    return Stat(stat, t_two_sided(stat, k - 1), k)


def sign_test(car: F64) -> Stat:
    """Sign test: the share of positive CARs against 1/2 (exact binomial, two-sided).

    ``stat`` is the number of positive CARs among the ``n`` non-zero, finite ones; the
    p-value is :func:`_binom_p` (``scipy.stats.binomtest(k, n, 0.5)``). Corrado & Zivney (1992) discuss its power.
    """
    c = car[np.isfinite(car) & (car != 0)]
    k = int((c > 0).sum())
    if len(c) == 0:
        return Stat(float("nan"), float("nan"), 0)
    return Stat(float(k), _binom_p(k, len(c)), len(c))


@functools.lru_cache(maxsize=4096)
def _binom_p(k: int, n: int) -> float:
    """Two-sided exact binomial p-value of ``k`` successes in ``n`` at p = 1/2.

    The outcomes at most as likely as ``k`` are, by symmetry, the two tails beyond
    ``min(k, n − k)`` and ``max(k, n − k)``: ``p = min(1, 2 Σ_{x ≤ min(k, n−k)} C(n, x) / 2ⁿ)``,
    and 1 when ``k = n/2``. Summed in integers and rounded once, so it is the correctly rounded
    value; ``scipy.stats.binomtest(k, n, 0.5)`` (the same test) differs by at most ~1e-14
    relative, in its last digits (tests/test_events_stats.py). Cached: a study asks for the
    same few (k, n) hundreds of times.
    """
    if 2 * k == n:
        return 1.0
    tail = sum(math.comb(n, x) for x in range(min(k, n - k) + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def t_two_sided(t: npt.ArrayLike, df: npt.ArrayLike) -> float:
    """Two-sided p of Student's t: ``2·P(T_df > |t|)`` (``special.stdtr``, as scipy.stats)."""
    return float(2 * special.stdtr(df, -np.abs(t)))


def _var1(x: F64) -> np.float64:
    """Sample variance (ddof = 1) computed as ``scipy.stats`` does, so t statistics match it
    bit for bit: the mean of squared deviations from the mean, times ``n / (n − 1)``."""
    n = np.float64(x.shape[0])
    var: np.float64 = np.mean((x - np.mean(x, keepdims=True)) ** 2)
    var *= n / (n - 1)
    return var


def welch(a: F64, b: F64) -> Stat:
    """Welch's t-test of mean(a) − mean(b), two-sided.

    ``t = (m_a − m_b) / sqrt(v_a/n_a + v_b/n_b)`` with Welch–Satterthwaite degrees of freedom
    ``(v_a/n_a + v_b/n_b)² / ((v_a/n_a)²/(n_a − 1) + (v_b/n_b)²/(n_b − 1))``; the same
    operations as ``scipy.stats.ttest_ind(equal_var=False)``, whose per-call overhead was a
    fifth of the weekly run (tests hold the two equal bit for bit). NaN with fewer than 2
    finite values on either side.
    """
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return Stat(float("nan"), float("nan"), len(a) + len(b))
    n1, n2 = len(a), len(b)
    vn1, vn2 = _var1(a) / n1, _var1(b) / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        raw_df = (vn1 + vn2) ** 2 / (vn1**2 / (n1 - 1) + vn2**2 / (n2 - 1))
        df = np.where(np.isnan(raw_df), 1.0, raw_df)  # zero variances: the t is not finite
        t = np.divide(np.mean(a) - np.mean(b), np.sqrt(vn1 + vn2))
    return Stat(float(t), t_two_sided(t, df), n1 + n2)


def one_sample_t(x: F64) -> Stat:
    """Student's one-sample t-test of mean(x) = 0, two-sided (``scipy.stats.ttest_1samp``'s
    operations: ``t = mean / sqrt(var(ddof=1)/n)``, n − 1 degrees of freedom)."""
    n = x.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.divide(np.mean(x) - 0.0, np.sqrt(_var1(x) / n))
    return Stat(float(t), t_two_sided(t, np.float64(n - 1)), n)


def overlaps(
    days: Mapping[str, pd.Timestamp], calendar: pd.DatetimeIndex, window: Window
) -> dict[str, tuple[str, ...]]:
    """For each event, the other events whose ``window`` (in sessions of ``calendar``) meets its own.

    Windows ``[p + lo, p + hi]`` of events at session positions p and p' meet when
    ``|p - p'| <= hi - lo``. Events on the same session always overlap.
    """
    ids = list(days)
    pos = np.array([calendar.searchsorted(days[i]) for i in ids], dtype=np.int64)
    span = window[1] - window[0]
    near = np.abs(pos[:, None] - pos[None, :]) <= span
    np.fill_diagonal(near, False)
    return {i: tuple(ids[k] for k in np.flatnonzero(near[m])) for m, i in enumerate(ids)}
