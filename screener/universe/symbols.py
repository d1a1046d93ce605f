"""The grammar of a Yahoo symbol, in one place: universes, CSV imports and the CLI parse with it.

A symbol is upper-case letters and digits (and ``&`` inside a name: ``M&M.NS``), with hyphens
between parts (share classes: ``BRK-B``), then optionally an exchange suffix Yahoo uses (``LYC.AX``, ``6680.HK``). An index
starts with ``^`` (``^GSPC``); an FX rate or future ends in ``=X`` or ``=F`` (``AUDUSD=X``).
Case is folded to upper: Yahoo does not distinguish ``mp`` from ``MP``, and the store keys
prices by the upper-case symbol, so every symbol that enters is upper-case from here on.

``SUFFIXES`` must list the suffixes of ``sources/exchanges.py`` (a test holds them equal):
the universe stage sits above sources, so the table cannot be imported from there.
"""

from __future__ import annotations

import re

from screener.errors import SymbolError

#: Longest symbol accepted. Yahoo's longest in practice are option and fund codes (~20).
MAX_LENGTH = 24

#: Exchange suffixes screener knows (currency, time zone, session): sources/exchanges.py.
SUFFIXES: frozenset[str] = frozenset(
    {
        ".AX", ".TO", ".V", ".CN", ".NE", ".L", ".IL", ".T", ".KS", ".KQ", ".SR", ".SS",
        ".SZ", ".HK", ".PA", ".BR", ".AS", ".DE", ".F", ".JO", ".TA", ".SA", ".NS", ".KL",
        ".OL", ".ST", ".NZ",
    }
)  # fmt: skip

_SYMBOL = re.compile(
    r"(?P<index>\^)?(?P<body>[A-Z0-9][A-Z0-9&]*(?:-[A-Z0-9&]+)*)"
    r"(?:(?P<suffix>\.[A-Z]{1,3})|(?P<kind>=[XF]))?"
)
_ALLOWED = re.compile(r"[A-Z0-9.\-^=&]*")
EXAMPLES = "e.g. MP, LYC.AX, 6680.HK, BRK-B, ^GSPC, AUDUSD=X"


def _show(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def parse_symbol(text: str) -> str:
    """``text`` as a Yahoo symbol, upper-case; :class:`SymbolError` saying why and the fix.

    >>> parse_symbol(" lyc.ax ")
    'LYC.AX'
    """
    if not isinstance(text, str):
        raise SymbolError(f"{text!r} is not a Yahoo symbol: expected text ({EXAMPLES})")
    s = text.strip().upper()
    if not s:
        raise SymbolError(f"an empty symbol is not a Yahoo symbol ({EXAMPLES})")
    if len(s) > MAX_LENGTH:
        raise SymbolError(
            f"{_show(text)} is {len(s):,} characters long; a Yahoo symbol has at most "
            f"{MAX_LENGTH} ({EXAMPLES})"
        )
    bad = sorted(set(_ALLOWED.sub("", s)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise SymbolError(
            f"{_show(text)} is not a Yahoo symbol: {shown} not allowed (letters, digits and "
            f". - ^ = & only; {EXAMPLES})"
        )
    m = _SYMBOL.fullmatch(s)
    if m is None:
        dot = s.rfind(".")
        suffix = s[dot:] if dot > 0 else ""
        if suffix and re.fullmatch(r"\.[A-Z]{1,3}", suffix) and suffix not in SUFFIXES:
            raise _unknown_suffix(text, suffix)
        raise SymbolError(
            f"{_show(text)} is not a Yahoo symbol: letters and digits, hyphens between parts, "
            f"then an optional exchange suffix ({EXAMPLES})"
        )
    if m.group("suffix") and m.group("suffix") not in SUFFIXES:
        raise _unknown_suffix(text, m.group("suffix"))
    if m.group("index") and (m.group("suffix") or m.group("kind")):
        raise SymbolError(f"{_show(text)} is not a Yahoo symbol: an index (^) has no suffix")
    return s


def _unknown_suffix(text: str, suffix: str) -> SymbolError:
    known = " ".join(sorted(SUFFIXES))
    return SymbolError(
        f"{_show(text)}: {suffix} is not an exchange suffix screener knows ({known}); check the "
        "symbol on finance.yahoo.com, or add the exchange to sources/exchanges.py and "
        "universe/symbols.py"
    )


def is_symbol(text: str) -> bool:
    try:
        parse_symbol(text)
    except SymbolError:
        return False
    return True
