"""The screen table: exposure + risk metrics + investability gates + pairing.

``build`` returns one DataFrame indexed by company id (listed companies only), with the
documented columns below. It never changes a score: gates and pairing sit beside it.

Columns
-------
rank, ticker, name, hq, score, raw_score, china_multiplier, ``<factor>_value`` and
``<factor>_points`` for the six factors, flags (tuple), every metric column passed in,
``adv_gate_usd`` (the preset's ADV window), gate_market_cap, gate_adv, gate_pass (True/False,
or None when the input is unknown), exposure_per_vol, quadrant, frontier, pct_score,
pct_vol_1y, pct_exposure_per_vol, rank_median, rank_p05, rank_p95, rank_unstable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from screener.universe.exposure import Exposure
from screener.universe.model import FACTORS, Model
from screener.universe.records import Company
from screener.universe.scored import Scored

Quadrant = Literal["high_exp_low_vol", "high_exp_high_vol", "low_exp_low_vol", "low_exp_high_vol"]
QUADRANT_LABELS: dict[str, str] = {
    # Relative to the medians of the screened names, and said so: a 58%-volatility name can
    # sit below the median of a volatile universe, and "low volatility" would mislead.
    "high_exp_low_vol": "exposure above median, volatility below median",
    "high_exp_high_vol": "exposure above median, volatility above median",
    "low_exp_low_vol": "exposure below median, volatility below median",
    "low_exp_high_vol": "exposure below median, volatility above median",
}


@dataclass(frozen=True)
class RankRobustness:
    """Summary of §10: how much the ranking depends on the weights."""

    draws: int
    concentration: float
    seed: int
    median_kendall_tau: float | None
    table: pd.DataFrame  # index company id: rank_median, rank_p05, rank_p95, rank_unstable


def factor_matrix(scored: Scored, ids: list[str]) -> np.ndarray:
    """n × 6 factor values, in FACTORS order."""
    return np.array(
        [[scored.exposures[i].factors[f].value for f in FACTORS] for i in ids], dtype=float
    ).reshape(len(ids), len(FACTORS))


def factor_bounds(scored: Scored, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """n × 6 factor values with every unknown at the bottom, and at the top, of its range."""
    pairs = [scored.exposures[i].factor_bounds() for i in ids]
    shape = (len(ids), len(FACTORS))
    lo = np.array([p[0] for p in pairs], dtype=float).reshape(shape)
    hi = np.array([p[1] for p in pairs], dtype=float).reshape(shape)
    return lo, hi


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Ordinal ranks, 1 = highest (ties in input order), per row of a (draws × n) matrix."""
    order = np.argsort(-scores, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)
    return ranks


def kendall_tau_b(base: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Kendall's τ between the ranking ``base`` and each row of ``ranks`` (all without ties).

    ``τ = (concordant − discordant) / (n(n−1)/2)``, divided as ``scipy.stats.kendalltau``
    divides (τ-b, which equals τ-a without ties), so the values match it bit for bit; one
    array operation over all draws instead of a scipy call per draw (a fifth of the screen).
    """
    n = base.shape[0]
    tot = n * (n - 1) // 2
    order = np.sign(base[:, None] - base[None, :])
    drawn = np.sign(ranks[:, :, None] - ranks[:, None, :])
    discordant = (order[None] * drawn < 0).sum(axis=(1, 2)) // 2  # each pair counted twice
    tau = (tot - 2 * discordant) / np.sqrt(tot) / np.sqrt(tot)
    out: np.ndarray = np.minimum(1.0, np.maximum(-1.0, tau))
    return out


def rank_robustness(scored: Scored, ids: list[str], model: Model) -> RankRobustness:
    """Rescore under draws of the weights and of the unknown facts (§10).

    Weights: Dirichlet, ``alpha = concentration × w`` (a factor with zero weight stays at
    zero). Evidence: in each draw each company's unknowns sit at one uniformly drawn point
    ``u`` of their range, its factor values ``F_low + u × (F_high − F_low)`` (linear between
    the bounds the interval is made of, exact at both ends). Companies are re-ranked per draw;
    we report each company's median rank and 5–95% interval, and the median Kendall τ between
    the base ranking and the draws, so "rank unstable" reflects both weights and evidence.
    """
    params = model.raw["rank_robustness"]
    draws, conc, seed = int(params["draws"]), float(params["concentration"]), int(params["seed"])
    unstable_share = float(params["unstable_share"])
    n = len(ids)
    table = pd.DataFrame(
        {"rank_median": np.nan, "rank_p05": np.nan, "rank_p95": np.nan, "rank_unstable": False},
        index=pd.Index(ids, name="id"),
    )
    if n < 3:
        return RankRobustness(draws, conc, seed, None, table)
    w = np.array([model.weights[f] for f in FACTORS], dtype=float)
    live = w > 0
    rng = np.random.default_rng(seed)
    sample = np.zeros((draws, len(FACTORS)))
    sample[:, live] = rng.dirichlet(conc * w[live], size=draws)
    F = factor_matrix(scored, ids)
    lo, hi = factor_bounds(scored, ids)
    u = rng.random((draws, n))
    mult = np.array([scored.exposures[i].china_multiplier for i in ids])
    base = 100.0 * mult * (F @ w)
    # draws × n: Σ_k w_dk (lo_ik + u_di (hi_ik − lo_ik))
    drawn = 100.0 * mult[None, :] * (sample @ lo.T + u * (sample @ (hi - lo).T))
    ranks = _ranks(drawn)
    base_rank = _ranks(base[None, :])[0]
    taus = kendall_tau_b(base_rank, ranks)
    table["rank_median"] = np.median(ranks, axis=0)
    table["rank_p05"] = np.percentile(ranks, 5, axis=0)
    table["rank_p95"] = np.percentile(ranks, 95, axis=0)
    table["rank_unstable"] = (table["rank_p95"] - table["rank_p05"]) > unstable_share * n
    return RankRobustness(draws, conc, seed, float(np.nanmedian(taus)), table)


def pareto_frontier(score: pd.Series, vol: pd.Series) -> pd.Series:
    """True where no other name has a higher-or-equal score at a lower-or-equal volatility
    (with one of the two strict)."""
    ok = score.notna() & vol.notna()
    out = pd.Series(False, index=score.index)
    if not ok.any():
        return out
    # Sorted by vol ascending (ties: highest score first), a name is on the frontier when its
    # score beats every name before it, i.e. every name at lower or equal volatility.
    frame = pd.DataFrame({"s": score[ok], "v": vol[ok]}).sort_values(
        ["v", "s"], ascending=[True, False]
    )
    best_before = frame["s"].cummax().shift(1, fill_value=-np.inf)
    on = frame["s"] > best_before
    # Exact duplicates sit next to each other in that order and neither dominates the other
    # (nothing is strict), so they share the verdict of the first of them.
    on = on.groupby([frame["v"], frame["s"]]).transform("any")
    out[frame.index[on]] = True
    return out


def quadrants(score: pd.Series, vol: pd.Series) -> pd.Series:
    """Split at the medians of score and vol_1y (of names having both)."""
    ok = score.notna() & vol.notna()
    # a list of None: pandas 3 broadcasts a scalar None to NaN even in an object Series
    out = pd.Series([None] * len(score), index=score.index, dtype=object)
    if not ok.any():
        return out
    ms, mv = score[ok].median(), vol[ok].median()
    hi = score[ok] >= ms
    lo_vol = vol[ok] <= mv
    out[ok] = np.where(
        hi,
        np.where(lo_vol, "high_exp_low_vol", "high_exp_high_vol"),
        np.where(lo_vol, "low_exp_low_vol", "low_exp_high_vol"),
    )
    return out


def _gate(values: pd.Series, minimum: float | None) -> pd.Series:
    if minimum is None:
        return pd.Series(True, index=values.index, dtype=object)
    return values.map(lambda x: None if pd.isna(x) else bool(x >= minimum)).astype(object)


def gates(risk: pd.DataFrame, preset: Mapping[str, Any], adv: pd.Series) -> pd.DataFrame:
    """Pass/fail columns of §8. Unknown input (no market cap, no volume) → None, not fail."""
    cap = (
        risk["market_cap_usd"] if "market_cap_usd" in risk else pd.Series(np.nan, index=risk.index)
    )
    g_cap = _gate(cap, preset.get("min_market_cap_usd"))
    g_adv = _gate(adv.reindex(risk.index), preset.get("min_adv_usd"))

    def both(a: Any, b: Any) -> Any:
        if a is False or b is False:
            return False
        if a is None or b is None:
            return None
        return True

    passed = pd.Series(
        [both(a, b) for a, b in zip(g_cap, g_adv, strict=True)], index=risk.index, dtype=object
    )
    return pd.DataFrame({"gate_market_cap": g_cap, "gate_adv": g_adv, "gate_pass": passed})


def build(
    scored: Scored,
    risk: pd.DataFrame,
    *,
    preset: str,
    adv_gate_usd: pd.Series | None = None,
    robustness: bool = True,
) -> tuple[pd.DataFrame, RankRobustness]:
    """The screen. ``risk`` is ``metrics.compute`` output indexed by ticker (primary
    listings); companies without prices keep NaN metrics and None gates."""
    table = _scores(scored.ranked(listed_only=True))
    ids, tickers = list(table.index), list(table["ticker"])
    metrics = risk.reindex(tickers)
    metrics.index = table.index
    table = table.join(metrics)

    spec = scored.model.gate(preset)
    if adv_gate_usd is None:
        adv_gate_usd = table.get("adv_3m_usd", pd.Series(np.nan, index=table.index))
    else:
        adv_gate_usd = adv_gate_usd.reindex(tickers).set_axis(table.index)
    table["adv_gate_usd"] = adv_gate_usd
    table = table.join(gates(table, spec, adv_gate_usd))

    vol = table["vol_1y"] if "vol_1y" in table else pd.Series(np.nan, index=table.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["exposure_per_vol"] = table["score"] / vol.where(vol > 0)
    table["quadrant"] = quadrants(table["score"], vol)
    table["frontier"] = pareto_frontier(table["score"], vol)
    table["pct_score"] = table["score"].rank(pct=True)
    table["pct_vol_1y"] = vol.rank(pct=True)
    table["pct_exposure_per_vol"] = table["exposure_per_vol"].rank(pct=True)

    robust = rank_robustness(scored, ids, scored.model) if robustness else _skipped(scored, ids)
    table = table.join(robust.table)
    return table, robust


def _scores(ranked: list[tuple[Company, Exposure]]) -> pd.DataFrame:
    """Rank, identity, score, China multiplier, flags and each factor's value and points."""
    rows: dict[str, list[Any]] = {
        "rank": list(range(1, len(ranked) + 1)),
        "ticker": [c.primary_ticker for c, _ in ranked],
        "name": [c.name for c, _ in ranked],
        "hq": [c.hq for c, _ in ranked],
        "score": [e.score for _, e in ranked],
        "raw_score": [e.raw_score for _, e in ranked],
        "china_multiplier": [e.china_multiplier for _, e in ranked],
        "flags": [e.flags for _, e in ranked],
    }
    for f in FACTORS:
        rows[f"{f}_value"] = [e.factors[f].value for _, e in ranked]
        rows[f"{f}_points"] = [e.factors[f].points for _, e in ranked]
    return pd.DataFrame(rows, index=pd.Index([c.id for c, _ in ranked], name="id"))


def _skipped(scored: Scored, ids: list[str]) -> RankRobustness:
    """No draws, every company's interval unknown: ad hoc lookups skip the 500 re-rankings
    (a second matters there, the interval doesn't)."""
    robust = rank_robustness(scored, ids[:0], scored.model)
    return RankRobustness(
        robust.draws,
        robust.concentration,
        robust.seed,
        None,
        robust.table.reindex(ids).astype({"rank_unstable": object}),
    )
