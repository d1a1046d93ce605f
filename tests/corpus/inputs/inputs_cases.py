"""The bad-input corpus: each case is files written into a folder, a command line, and the
words its error must contain. tests/corpus/inputs/test_corpus_inputs.py runs them.

Files derive from the valid ``base_*.yaml`` beside this module by one textual replacement,
so line numbers stay those of the base file (``uni.yaml:9:5`` is ``hq`` of the first
company). ``{dir}`` in an argument is the case's folder; ``{store_uni}`` is the universe the
shared demo store was built from (cases that must leave that store unchanged use it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
UNI = (HERE / "base_universe.yaml").read_text(encoding="utf-8")
EVENTS = (HERE / "base_events.yaml").read_text(encoding="utf-8")
JUR = (HERE / "base_jurisdictions.yaml").read_text(encoding="utf-8")
MODEL = (HERE.parents[2] / "universes" / "model.yaml").read_text(encoding="utf-8")

CATEGORIES = ("universe", "events", "jurisdictions", "model", "symbols", "dates", "cli")


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    argv: tuple[str, ...]
    words: tuple[str, ...]
    files: Mapping[str, str | bytes] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.category}-{self.name}"


def _swap(text: str, old: str, new: str, count: int = 1) -> str:
    if old not in text:
        raise AssertionError(f"corpus: {old!r} is not in the base file")
    return text.replace(old, new, count)


def _folder(**overrides: str | bytes) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "uni.yaml": UNI,
        "events.yaml": EVENTS,
        "jurisdictions.yaml": JUR,
    }
    files.update(overrides)
    return files


VALIDATE = ("universe", "validate", "{dir}/uni.yaml")
SHOW_WEIGHTS = ("universe", "show", "--universe", "{dir}/uni.yaml", "--weights", "{dir}/w.yaml")

CASES: list[Case] = []


def add(
    category: str, name: str, argv: tuple[str, ...], words: tuple[str, ...], **files: str | bytes
) -> None:
    CASES.append(Case(name, category, argv, words, _folder(**files)))


# --- universe: one bad field each, named with its line --------------------------------------


def uni(name: str, old: str, new: str, *words: str) -> None:
    add("universe", name, VALIDATE, ("uni.yaml", *words), **{"uni.yaml": _swap(UNI, old, new)})


uni("hq-unknown", 'hq: "AU"', 'hq: "XX"', "uni.yaml:9:5", "field 'hq'", "'XX' is not an ISO 3166-1")
uni("hq-norway-bool", 'hq: "AU"', "hq: NO", "uni.yaml:9:5", "YAML boolean", "quote country codes")
uni(
    "hq-missing",
    '    hq: "AU"\n',
    "    headquarters: AU\n",
    "unknown field 'headquarters'",
    "field 'hq': is missing",
)
uni(
    "stage-unknown",
    "stage: mining",
    "stage: smelting",
    "uni.yaml:13:9",
    "'smelting' is not allowed",
    "mining, separation",
)
uni(
    "status-unknown",
    "status: producing",
    "status: operating",
    "uni.yaml:15:9",
    "'operating' is not allowed",
)
uni(
    "share-above-one",
    "ree_revenue_share: 1.0",
    "ree_revenue_share: 1.5",
    "uni.yaml:10:5",
    "1.5 is outside 0 to 1",
)
uni(
    "share-text",
    "ree_revenue_share: 1.0",
    "ree_revenue_share: most",
    "'most' is not a number",
    "0 to 1",
)
uni("share-negative", "ree_revenue_share: 1.0", "ree_revenue_share: -0.1", "-0.1 is outside 0 to 1")
uni(
    "share-nan",
    "ree_revenue_share: 1.0",
    "ree_revenue_share: .nan",
    "ree_revenue_share",
    "outside 0 to 1",
)
uni(
    "ownership-above-100",
    "ownership_pct: 0,",
    "ownership_pct: 120,",
    "uni.yaml:18",
    "120 is outside 0 to 100",
)
uni("ownership-negative", "ownership_pct: 0,", "ownership_pct: -5,", "-5 is outside 0 to 100")
uni(
    "capacity-negative",
    "capacity_tpa: 10000",
    "capacity_tpa: -5",
    "uni.yaml:16:9",
    "-5 is outside 0 to 1e+09",
)
uni("capacity-text", "capacity_tpa: 10000", "capacity_tpa: big", "'big' is not a number")
uni("capacity-infinite", "capacity_tpa: 10000", "capacity_tpa: .inf", "inf is outside 0 to 1e+09")
uni(
    "as-of-impossible",
    "as_of: 2025-06-01",
    "as_of: 2026-02-30",
    "uni.yaml:23:5",
    "'2026-02-30' is not a real date",
)
uni("as-of-month-13", "as_of: 2025-06-01", "as_of: 2025-13-01", "'2025-13-01' is not a real date")
uni("as-of-future", "as_of: 2025-06-01", "as_of: 2999-01-01", "2999-01-01 is in the future")
uni(
    "as-of-with-time",
    "as_of: 2025-06-01",
    "as_of: 2025-06-01 10:30:00",
    "a date and time",
    "YYYY-MM-DD",
)
uni("as-of-partial", "as_of: 2025-06-01", "as_of: 2025-06", "'2025-06' is not a date (YYYY-MM-DD)")
uni("as-of-text", "as_of: 2025-06-01", "as_of: last week", "'last week' is not a date")
uni(
    "source-date-impossible",
    "date: 2025-06-01, title: Annual",
    "date: 2025-02-29, title: Annual",
    "uni.yaml:22",
    "'2025-02-29' is not a real date",
)
uni(
    "support-date-impossible",
    "date: 2025-03-01",
    "date: 2025-04-31",
    "uni.yaml:20",
    "'2025-04-31' is not a real date",
)
uni(
    "source-kind-unknown",
    "kind: filing",
    "kind: rumour",
    "'rumour' is not allowed",
    "filing, company",
)
uni("support-kind-unknown", "kind: government_loan", "kind: bribe", "'bribe' is not allowed")
uni("support-ree-related-missing", "ree_related: true, ", "", "ree_related", "is missing")
uni(
    "heavy-ree-text",
    "        capacity_tpa: 10000\n",
    "        capacity_tpa: 10000\n        heavy_ree: maybe\n",
    "'maybe' is not true or false",
)
uni(
    "listed-text",
    "    tickers: [AAA]\n",
    "    tickers: [AAA]\n    listed: sometimes\n",
    "'sometimes' is not true or false",
)
uni("tickers-not-list", "tickers: [AAA]", "tickers: {a: 1}", "is not a list of symbols")
uni(
    "tickers-empty",
    "tickers: [AAA]",
    "tickers: []",
    "a listed company needs at least one Yahoo symbol",
)
uni("duplicate-id", "id: beta-magnets", "id: alpha-mining", "duplicate id")
uni(
    "duplicate-ticker",
    "tickers: [BBB]",
    "tickers: [aaa]",
    "'AAA' is already a ticker of 'alpha-mining'",
)
uni("id-not-slug", "id: alpha-mining", "id: Alpha Mining!", "is not a slug")
uni(
    "cites-undefined-source",
    "capacity_tpa: 10000\n        sources: [S1]",
    "capacity_tpa: 10000\n        sources: [S9]",
    "cites source 'S9'",
)
uni(
    "unknown-field",
    "    confidence: high\n",
    "    confidence: high\n    rating: buy\n",
    "uni.yaml:25:5",
    "unknown field 'rating'",
)
uni(
    "confidence-unknown",
    "confidence: high",
    "confidence: certain",
    "'certain' is not allowed (allowed: high, medium, low)",
)
uni(
    "feed-origin-on-mining",
    "        capacity_tpa: 10000\n",
    "        capacity_tpa: 10000\n        feed_origin: captive\n",
    "feed_origin",
    "applies to separation",
)
uni("revenue-basis-missing", "    revenue_basis: reported\n", "", "revenue_basis", "is missing")
uni(
    "segments-not-list",
    "    segments:\n      - stage: mining",
    "    segments: mining\n    old:\n      - stage: mining",
    "expected a list",
)
uni(
    "company-not-mapping",
    "  - id: beta-magnets\n",
    "  - just text\n  - id: beta-magnets\n",
    "companies[1]",
    "expected a mapping of fields",
)
uni(
    "companies-not-list",
    "companies:\n",
    "companies: 3\nold:\n",
    "expected a mapping with a 'companies' list",
)
uni(
    "benchmark-role-unknown",
    "role: sector",
    "role: hedge",
    "'hedge' is not allowed (allowed: market, sector)",
)
# the YAML itself
uni(
    "alias",
    "    tickers: [AAA]\n",
    "    tickers: &t [AAA]\n    former_tickers: *t\n",
    "uni.yaml:9:5",
    "anchors (&name) and aliases (*name) are not allowed",
)
uni("merge-key", '    hq: "AU"\n', '    <<: {hq: "AU"}\n', "uni.yaml:9:5", "merge", "not allowed")
uni(
    "python-tag",
    'hq: "AU"',
    "hq: !!python/object/apply:os.system [echo]",
    "uni.yaml:9:9",
    "is not allowed: data files use plain YAML values only",
)
uni("custom-tag", 'hq: "AU"', "hq: !country AU", "tag '!country' is not allowed")
uni(
    "duplicate-key",
    '    hq: "AU"\n',
    '    hq: "AU"\n    hq: "US"\n',
    "uni.yaml:10:5",
    "duplicate key 'hq'",
)
uni("malformed", "tickers: [AAA]", "tickers: [AAA", "malformed YAML")
uni(
    "bad-indent",
    "    name: Alpha Mining\n",
    "     name: Alpha Mining\n",
    "uni.yaml:7",
    "malformed YAML",
)
uni("tab-indent", "    name: Alpha Mining\n", "\tname: Alpha Mining\n", "malformed YAML")
add(
    "universe",
    "empty-file",
    VALIDATE,
    ("expected a mapping with a 'companies' list",),
    **{"uni.yaml": ""},
)
add(
    "universe",
    "top-level-list",
    VALIDATE,
    ("expected a mapping with a 'companies' list",),
    **{"uni.yaml": "- a\n- b\n"},
)
add("universe", "nul-byte", VALIDATE, ("NUL byte",), **{"uni.yaml": UNI + "\x00"})
add(
    "universe",
    "not-utf8",
    VALIDATE,
    ("cannot be read",),
    **{"uni.yaml": b"companies: [\xff\xfe]\n"},
)
add(
    "universe",
    "too-deep",
    VALIDATE,
    ("nested deeper than 32 levels",),
    **{"uni.yaml": "companies: " + "[" * 60 + "]" * 60 + "\n"},
)
add(
    "universe",
    "alias-bomb",
    VALIDATE,
    ("uni.yaml:2:", "aliases (*name) are not allowed"),
    **{
        "uni.yaml": "\n".join(
            ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
            + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
            + ["companies: [*a8]", ""]
        )
    },
)
add(
    "universe",
    "oversize",
    VALIDATE,
    ("bytes is larger than the 8,388,608 bytes",),
    **{"uni.yaml": UNI + "#" + "x" * (8 * 1024 * 1024) + "\n"},
)
add(
    "universe",
    "missing-file",
    ("universe", "validate", "{dir}/nope.yaml"),
    ("nope.yaml", "file not found"),
)


# --- events ------------------------------------------------------------------------------


def ev(name: str, old: str, new: str, *words: str) -> None:
    add(
        "events",
        name,
        VALIDATE,
        ("events.yaml", *words),
        **{"events.yaml": _swap(EVENTS, old, new)},
    )


ev(
    "date-impossible",
    "date: 2025-04-04\n",
    "date: 2026-02-30\n",
    "events.yaml:3:5",
    "'2026-02-30' is not a real date",
)
ev("date-missing", "    date: 2025-05-12\n", "", "field 'date': is missing")
ev(
    "date-future-unscheduled",
    "date: 2025-05-12",
    "date: 2999-05-12",
    "2999-05-12 is in the future",
    "scheduled: true",
)
ev("date-text", "date: 2025-05-12", "date: soon", "'soon' is not a date")
ev(
    "source-date-impossible",
    "date: 2025-04-04}",
    "date: 2025-02-31}",
    "events.yaml:11",
    "'2025-02-31' is not a real date",
)
ev(
    "source-unknown-field",
    '{url: "https://example.org/e2", date: null}',
    '{url: "https://example.org/e2", date: null, rank: 1}',
    "unknown field 'rank'",
)
ev(
    "direction-unknown",
    "direction: easing",
    "direction: sideways",
    "'sideways' is not allowed (allowed: tightening, easing, neutral)",
)
ev("id-duplicate", "id: ev-truce", "id: ev-controls", "'ev-controls' is used twice")
ev("id-not-slug", "id: ev-truce", "id: Ev Truce", "is not a slug")
ev(
    "time-impossible",
    "    kind: bilateral\n",
    '    kind: bilateral\n    time: "25:00"\n    tz: Asia/Shanghai\n',
    "'25:00' is not a time",
)
ev(
    "time-base-60",
    "    kind: bilateral\n",
    "    kind: bilateral\n    time: 14:30\n    tz: Asia/Shanghai\n",
    "YAML base-60 number",
)
ev(
    "tz-unknown",
    "    kind: bilateral\n",
    '    kind: bilateral\n    time: "14:30"\n    tz: Mars/Olympus\n',
    "'Mars/Olympus' is not an IANA time zone",
)
ev(
    "time-without-tz",
    "    kind: bilateral\n",
    '    kind: bilateral\n    time: "14:30"\n',
    "a time needs its IANA time zone",
)
ev(
    "precision-unknown",
    "date_precision: exact",
    "date_precision: roughly",
    "'roughly' is not allowed",
)
ev("major-text", "major: true", "major: very", "'very' is not true or false")
ev(
    "unknown-field",
    "    kind: bilateral\n",
    "    kind: bilateral\n    impact: high\n",
    "unknown field 'impact'",
)
ev(
    "alias-undefined",
    "    kind: bilateral\n",
    "    kind: bilateral\n    companies: *c\n",
    "malformed YAML",
)
add(
    "events",
    "not-a-list",
    VALIDATE,
    ("expected a top-level 'events' list",),
    **{"events.yaml": "events: {a: 1}\n"},
)


# --- jurisdictions -------------------------------------------------------------------------


def jur(name: str, old: str, new: str, *words: str) -> None:
    add(
        "jurisdictions",
        name,
        VALIDATE,
        ("jurisdictions.yaml", *words),
        **{"jurisdictions.yaml": _swap(JUR, old, new)},
    )


jur(
    "weight-above-one",
    "weight: 1.0",
    "weight: 1.5",
    "jurisdictions.yaml:2",
    "1.5 is outside 0 to 1",
)
jur("weight-text", "weight: 0.5", "weight: half", "'half' is not a number")
jur("weight-missing", "{weight: 0.0, ", "{", "field 'weight': is missing")
jur("code-lowercase", '"CN": "China"', '"cn": "China"', "'cn' is not an upper-case two-letter code")
jur(
    "code-in-two-tiers",
    'countries: ["CN"]',
    'countries: ["CN", "US"]',
    "US is already in tier 'core'",
)
jur(
    "code-not-listed",
    'countries: ["CN"]',
    'countries: ["CN", "RU"]',
    "'RU' is not in the 'countries' list",
)
jur(
    "default-tier-unknown",
    "default_tier: partner",
    "default_tier: friends",
    "'friends' is not one of the tiers",
)
jur("tiers-missing", "tiers:\n", "old_tiers:\n", "tiers", "missing")
jur(
    "unknown-tier-field",
    "{weight: 0.5, countries: []}",
    "{weight: 0.5, countries: [], colour: red}",
    "unknown field 'colour'",
)
jur(
    "sourced-tier-without-source",
    "  partner: {weight: 0.5, countries: []}",
    '  partner: {weight: 0.5, countries: ["NO"], sourced: true}',
    "NO has no source",
)
jur(
    "source-date-impossible",
    "  partner: {weight: 0.5, countries: []}",
    '  partner: {weight: 0.5, countries: ["NO"], sourced: true, sources: {"NO": {url: "https://x.org", date: 2025-06-31, title: MOU, kind: news}}}',
    "'2025-06-31' is not a real date",
)
add(
    "jurisdictions",
    "not-a-mapping",
    VALIDATE,
    ("expected a mapping with 'tiers' and 'countries'",),
    **{"jurisdictions.yaml": "[US, AU]\n"},
)


# --- model: --weights overlays and a universe's own model.yaml ------------------------------


def weights(name: str, text: str, *words: str) -> None:
    add("model", name, SHOW_WEIGHTS, ("w.yaml", *words), **{"w.yaml": text})


weights(
    "weights-scalar",
    "weights: 5\n",
    "w.yaml:1:1",
    "weights: 5 is not a mapping",
    "sourcing, processing",
)
weights("weights-list", "weights: [0.5, 0.5]\n", "is not a mapping")
weights(
    "factor-scalar",
    "factors: {sourcing: 5}\n",
    "w.yaml:1:11",
    "factors.sourcing: 5 is not a mapping",
    "stages",
)
weights("maturity-list", "maturity: [1, 2]\n", "maturity: [1, 2] is not a mapping")
weights(
    "purity-unknown-text",
    "purity_unknown: x\n",
    "purity_unknown: 'x' is not a mapping",
    "value, low, high",
)
weights(
    "feoc-penalty-above-one",
    "china: {feoc_penalty: 5}\n",
    "w.yaml:1:9",
    "china.feoc_penalty: 5 is outside the range",
    "from 0 to 1",
)
weights(
    "feoc-penalty-negative",
    "china:\n  feoc_penalty: -0.1\n",
    "w.yaml:2:3",
    "-0.1 is outside the range",
)
weights(
    "ownership-pct-above-100",
    "china: {feoc_ownership_pct: 150}\n",
    "150 is outside the range",
    "0 to 100 percent",
)
weights(
    "minority-above-feoc",
    "china: {minority_ownership_min_pct: 30}\n",
    "minority_ownership_min_pct: 30 is above feoc_ownership_pct",
)
weights("weights-sum", "weights: {sourcing: 0.5}\n", "sum to 1.2500", "must sum to 1")
weights(
    "weights-unknown-factor",
    "weights: {sourcing: 0.25, bogus: 0.1}\n",
    "weights.bogus: unknown key",
)
weights("weight-bool", "weights: {sourcing: yes}\n", "weights.sourcing: true is not a number")
weights("weight-nan", "weights: {sourcing: .nan}\n", "weights.sourcing: nan is outside the range")
weights(
    "maturity-above-one",
    "maturity: {producing: 1.2}\n",
    "maturity.producing: 1.2 is outside the range",
)
weights("unknown-top-key", "feoc_penalty: 0.5\n", "feoc_penalty: unknown key", "maturity, weights")
weights(
    "stale-days-impossible-date",
    "stale_profile_days: 2026-02-30\n",
    "'2026-02-30' is not a number",
    "whole number from 1 to 3650",
)
weights("stale-days-fraction", "stale_profile_days: 2.5\n", "2.5 is not a whole number")
weights(
    "draws-zero", "rank_robustness: {draws: 0}\n", "rank_robustness.draws: 0 is outside the range"
)
weights(
    "seed-negative",
    "rank_robustness: {seed: -1}\n",
    "rank_robustness.seed: -1 is outside the range",
)
weights(
    "interval-unordered",
    "purity_unknown: {value: 0.5, low: 0.9, high: 1.0}\n",
    "needs low <= value <= high",
)
weights(
    "capacity-statuses-unknown",
    "capacity_flag_statuses: [operating]\n",
    "capacity_flag_statuses[0]: 'operating' is not allowed",
)
weights(
    "combine-unknown",
    "factors: {processing: {combine: max}}\n",
    "factors.processing.combine: 'max' is not allowed",
)
weights(
    "stage-weight-above-one",
    "factors: {sourcing: {stages: {mining: 2}}}\n",
    "factors.sourcing.stages.mining: 2 is outside the range",
)
weights(
    "adv-window-zero",
    "gates: {mvis: {adv_window_days: 0}}\n",
    "gates.mvis.adv_window_days: 0 is outside the range",
)
weights("unknown-preset", "gates: {custom: {label: mine}}\n", "gates.custom: unknown key")
weights("support-cap-above-one", "support_cap: 2\n", "support_cap: 2 is outside the range")
weights("exponent-zero", "scale: {exponent: 0}\n", "scale.exponent: 0 is outside the range")
weights("file-is-list", "- sourcing: 0.5\n", "expected a mapping such as 'weights:")
weights("file-empty", "", "expected a mapping such as 'weights:")
weights("alias", "weights: &w {sourcing: 0.25}\nold: *w\n", "aliases (*name) are not allowed")
weights(
    "impossible-date-value",
    "weights: {sourcing: 2026-02-30}\n",
    "weights.sourcing: '2026-02-30' is not a number",
)
add(
    "model",
    "weights-file-missing",
    ("universe", "show", "--universe", "{dir}/uni.yaml", "--weights", "{dir}/none.yaml"),
    ("none.yaml", "file not found"),
)
add(
    "model",
    "companion-model-out-of-range",
    VALIDATE,
    ("model.yaml", "china.feoc_penalty: 5 is outside the range"),
    **{"model.yaml": _swap(MODEL, "feoc_penalty: 1.00", "feoc_penalty: 5")},
)
add(
    "model",
    "companion-model-interval-partial",
    VALIDATE,
    ("model.yaml", "purity_unknown.low: is missing"),
    **{
        "model.yaml": _swap(
            MODEL,
            "purity_unknown: {value: 0.5, low: 0.0, high: 1.0}",
            "purity_unknown: {value: 0.5, high: 1.0}",
        )
    },
)
add(
    "model",
    "companion-model-missing-key",
    VALIDATE,
    ("model.yaml", "support_cap: is missing"),
    **{"model.yaml": _swap(MODEL, "support_cap: 1.0\n", "")},
)


# --- symbols -------------------------------------------------------------------------------

for name, sym, words in [
    ("shell", "MP;rm -rf /", ("';' not allowed",)),
    ("path", "../../etc/passwd", ("'/' not allowed",)),
    ("long", "A" * 5000, ("5,000 characters long", "at most 24")),
    ("nul", "MP\\0", ("'\\x00' not allowed",)),
    ("unknown-suffix", "FOO.XY", (".XY is not an exchange suffix",)),
    ("space", "M P", ("' ' not allowed",)),
    ("dangling-hyphen", "MP-", ("hyphens between parts",)),
]:
    add(
        "symbols",
        f"universe-ticker-{name}",
        VALIDATE,
        ("uni.yaml:8:5", "field 'tickers[0]'", *words),
        **{"uni.yaml": _swap(UNI, "tickers: [AAA]", f'tickers: ["{sym}"]')},
    )
add(
    "symbols",
    "universe-ticker-number",
    VALIDATE,
    ("tickers[0]", "is not text", "quote symbols"),
    **{"uni.yaml": _swap(UNI, "tickers: [AAA]", "tickers: [6680]")},
)
add(
    "symbols",
    "former-ticker-bad",
    VALIDATE,
    ("former_tickers[0]", "'/' not allowed"),
    **{
        "uni.yaml": _swap(
            UNI, "    tickers: [AAA]\n", "    tickers: [AAA]\n    former_tickers: [a/b]\n"
        )
    },
)
add(
    "symbols",
    "benchmark-symbol-bad",
    VALIDATE,
    ("uni.yaml:3:", "field 'symbol'", "';' not allowed"),
    **{"uni.yaml": _swap(UNI, "symbol: SPY", 'symbol: "SPY;ls"')},
)
add(
    "symbols",
    "benchmark-symbol-missing",
    VALIDATE,
    ("field 'symbol': is missing",),
    **{"uni.yaml": _swap(UNI, "symbol: SPY, ", "")},
)
for name, query, words in [
    ("shell", "MP;rm -rf /", ("';' not allowed",)),
    ("path", "../../etc/passwd", ("'/' not allowed",)),
    ("long", "A" * 5000, ("5,000 characters long",)),
    ("nul", "MP\x00", ("'\\x00' not allowed",)),
    ("unknown-suffix", "FOO.XY", (".XY is not an exchange suffix",)),
    ("empty", "", ("empty symbol",)),
    ("newline", "MP\nrm", ("'\\n' not allowed",)),
]:
    add(
        "symbols",
        f"lookup-{name}",
        ("lookup", query, "--universe", "{store_uni}", "--demo", "--offline"),
        ("not a company of universe 'corpus'", *words),
    )


# --- dates ---------------------------------------------------------------------------------

RUN = ("run", "--demo", "--universe", "{store_uni}", "--out", "{dir}/out")
for name, value, words in [
    ("year-one", "0001-01-01", ("before any price history", "from 1900-01-01 to today")),
    ("before-1900", "1899-12-31", ("before any price history",)),
    (
        "before-history",
        "2000-01-03",
        ("before the price history starts", "the store holds this universe's prices from"),
    ),
    ("far-future", "2999-01-01", ("is in the future", "give a date up to today")),
    ("next-year", "{next_year}-01-01", ("is in the future",)),
    ("impossible", "2026-02-30", ("Invalid value for '--as-of'",)),
    ("not-a-date", "yesterday", ("Invalid value for '--as-of'",)),
]:
    add("dates", f"as-of-{name}", (*RUN, "--as-of", value), words)
add(
    "dates",
    "as-of-offline-before-history",
    (
        "run",
        "--offline",
        "--demo",
        "--universe",
        "{store_uni}",
        "--as-of",
        "2001-01-01",
        "--out",
        "{dir}/out",
    ),
    ("before the price history starts",),
)
for name, value, words in [
    ("future", "2999-01-01", ("--since 2999-01-01 is in the future",)),
    ("year-one", "0001-01-01", ("--since 0001-01-01 is before any price history",)),
    ("impossible", "2026-13-01", ("Invalid value for '--since'",)),
]:
    add(
        "dates",
        f"since-{name}",
        ("prices", "refresh", "--source", "demo", "--universe", "{store_uni}", "--since", value),
        words,
    )
for name, value, words in [
    ("week-99", "2026-W99", ("2026 has weeks W01 to W53",)),
    ("week-00", "2026-W00", ("2026 has weeks W01 to W53",)),
    ("week-53-short-year", "2025-W53", ("2025 has weeks W01 to W52",)),
    ("garbage", "garbage", ("'garbage' is not an ISO week", "2026-W48")),
    ("date-not-week", "2026-11-30", ("is not an ISO week",)),
    ("ancient", "1066-W42", ("no run is that old",)),
    ("unknown-week", "2020-W10", ("no stored run '2020-W10'", "latest:")),
]:
    add(
        "dates",
        f"report-{name}",
        ("report", "--demo", "--week", value, "--out", "{dir}/out"),
        words,
    )


# --- other CLI options ---------------------------------------------------------------------

add("cli", "preset-unknown", (*RUN, "--preset", "bogus"), ("Invalid value for '--preset'",))
add(
    "cli",
    "audit-top-zero",
    ("universe", "audit", "--universe", "{dir}/uni.yaml", "--top", "0"),
    ("'--top': 0 is not in the range",),
)
add(
    "cli",
    "events-window-garbage",
    ("events", "--universe", "{store_uni}", "--demo", "--offline", "--window", "x,y"),
    ("window",),
)
add(
    "cli",
    "events-unknown-id",
    ("events", "--universe", "{store_uni}", "--demo", "--offline", "--event", "no-such-event"),
    ("no-such-event",),
)
add(
    "cli",
    "universe-name-unknown",
    ("universe", "show", "--universe", "nope"),
    ("no universe named 'nope'",),
)
add(
    "cli",
    "universe-path-missing",
    ("universe", "show", "--universe", "{dir}/missing.yaml"),
    ("missing.yaml: universe file not found",),
)
add(
    "cli",
    "weights-is-directory",
    ("universe", "show", "--universe", "{dir}/uni.yaml", "--weights", "{dir}"),
    ("'--weights'", "is a directory"),
)
add("cli", "unknown-option", ("run", "--demo", "--frobnicate"), ("No such option '--frobnicate'",))
add(
    "cli",
    "report-week-and-run",
    ("report", "--demo", "--week", "2026-W01", "--run", "2026-W02"),
    ("give --week or --run, not both",),
)
add(
    "cli",
    "csv-source-without-path",
    ("prices", "refresh", "--source", "csv", "--universe", "{store_uni}"),
    ("--source csv needs --csv PATH",),
)
add(
    "cli",
    "run-weights-out-of-range",
    (*RUN, "--weights", "{dir}/w.yaml"),
    ("w.yaml", "china.feoc_penalty: 5 is outside the range"),
    **{"w.yaml": "china: {feoc_penalty: 5}\n"},
)
add(
    "cli",
    "run-universe-bad-date",
    ("run", "--demo", "--universe", "{dir}/uni.yaml", "--out", "{dir}/out"),
    ("'2026-02-30' is not a real date",),
    **{"uni.yaml": _swap(UNI, "as_of: 2025-06-01", "as_of: 2026-02-30")},
)
add("cli", "lookup-no-query", ("lookup",), ("Missing argument",))
add(
    "cli",
    "universe-name-too-long",
    ("universe", "show", "--universe", "x" * 5000),
    ("is not a universe name or a file path this system accepts",),
)
add(
    "cli",
    "weights-endless-device",
    ("universe", "show", "--universe", "{dir}/uni.yaml", "--weights", "/dev/zero"),
    ("/dev/zero: not a regular file",),
)
add(
    "cli",
    "weights-oversize",
    ("universe", "show", "--universe", "{dir}/uni.yaml", "--weights", "{dir}/w.yaml"),
    ("w.yaml", "larger than the 8,388,608 bytes"),
    **{"w.yaml": "weights: {}\n" + "#" * (9 * 1024 * 1024) + "\n"},
)
add("cli", "validate-directory", ("universe", "validate", "{dir}"), ("universe file not found",))

# numbers too large for a float, and an integer longer than Python reads
uni(
    "share-huge-int",
    "ree_revenue_share: 1.0",
    "ree_revenue_share: 1" + "0" * 400,
    "uni.yaml:10:5",
    "is outside 0 to 1",
)
uni(
    "capacity-5000-digits",
    "capacity_tpa: 10000",
    "capacity_tpa: 1" + "0" * 5000,
    "uni.yaml:16:23",
    "cannot be read as",
)
weights(
    "weight-huge-int",
    "weights: {sourcing: 1" + "0" * 400 + "}\n",
    "weights.sourcing",
    "is outside the range",
)
