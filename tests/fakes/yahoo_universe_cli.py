"""Run the screener CLI in this process against the fake Yahoo (no network), for subprocess tests.

Usage: ``python tests/fakes/yahoo_universe_cli.py UNIVERSE_FILE CLI_ARGS...``. Every priced symbol of
the universe gets a seeded fake listing (about five years of daily bars); sockets and libcurl
transfers are refused, yfinance's sessions are the fake's, and the retry backoff does not
sleep. Used by the kill -9 matrix (tests/test_kill9.py) to kill a real ``prices refresh``.
"""

from __future__ import annotations

import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `fakes`


def _no_network(*args: Any, **kwargs: Any) -> None:
    raise ConnectionError("the fake Yahoo CLI never uses the network")


def main() -> None:
    import curl_cffi
    import yfinance.base
    import yfinance.data
    import yfinance.multi
    import yfinance.scrapers.history

    from fakes.yahoo import YAHOO_EXCHANGES, FakeYahoo, make_listing, reset_yfinance_state
    from screener.cli import cli
    from screener.sources.exchanges import fx_for
    from screener.sources.yahoo import YahooSource
    from screener.universe.load import load

    socket.socket.connect = _no_network  # type: ignore[method-assign]
    curl_cffi.Curl.perform = _no_network  # type: ignore[method-assign]
    universe_file, *args = sys.argv[1:]
    server = FakeYahoo()
    symbols = load(universe_file).priced_symbols()
    currencies = []
    for symbol in symbols:
        sfx = symbol[symbol.rfind(".") :] if "." in symbol else ""
        if sfx in YAHOO_EXCHANGES:
            currencies.append(YAHOO_EXCHANGES[sfx][2])
    for i, symbol in enumerate([*symbols, *fx_for(currencies)]):
        sfx = (
            "=X" if symbol.endswith("=X") else symbol[symbol.rfind(".") :] if "." in symbol else ""
        )
        if sfx in YAHOO_EXCHANGES:
            price = 0.7 if sfx == "=X" else 20.0
            server.add(
                make_listing(symbol, "2021-01-04", "2030-12-31", seed=i, price=price, shares=1e8)
            )
    for module in (yfinance.multi, yfinance.data, yfinance.base, yfinance.scrapers.history):
        module.new_session = server.session  # type: ignore[attr-defined]
    reset_yfinance_state(tempfile.mkdtemp(prefix="yf-cache-"))
    defaults = YahooSource.__init__.__kwdefaults__ or {}
    defaults["sleep"] = server.advance
    defaults["pause"] = 0.0
    cli.main(args=args, prog_name="screener")


if __name__ == "__main__":
    main()
