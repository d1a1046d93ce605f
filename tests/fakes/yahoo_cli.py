"""Run the ``screener`` CLI in a fresh process against the fake Yahoo (no network, no sleeps).

``python tests/fakes/yahoo_cli.py SPEC.json -- prices refresh`` builds a :class:`FakeYahoo`
from the spec, wires every session factory yfinance uses to it, blocks real sockets and
libcurl, moves YahooSource's sleeps and clock to the fake clock, runs the CLI with the given
arguments and, at exit, writes every request the fake answered to ``spec["calls_out"]`` (one
per line). The process's stderr is what a user or cron would see.

Spec keys: ``symbols`` (listed with seeded bars from ``start`` to ``end``), ``shares`` (true:
equities get a market cap), ``down`` (false, true or ``"refused"``), ``faults`` (symbol ->
``[kind, times, status]``), ``history_years`` (optional override), ``calls_out``.
"""

from __future__ import annotations

import atexit
import json
import socket
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError("the fake-Yahoo CLI run tried to use the real network")


def main(argv: list[str]) -> None:
    spec: dict[str, Any] = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    cli_args = argv[argv.index("--") + 1 :]

    import curl_cffi

    socket.socket.connect = _no_network  # type: ignore[method-assign]
    curl_cffi.Curl.perform = _no_network  # type: ignore[method-assign]

    import yfinance.base
    import yfinance.data
    import yfinance.multi
    import yfinance.scrapers.history

    from fakes.yahoo import FakeYahoo, Fault, make_listing
    from screener import settings
    from screener.sources.yahoo import YahooSource

    server = FakeYahoo(down=spec.get("down", False))
    for i, sym in enumerate(spec.get("symbols", [])):
        shares = None if sym.endswith("=X") or not spec.get("shares", True) else 1e8
        server.add(
            make_listing(sym, spec["start"], spec["end"], seed=i, price=10.0 + i, shares=shares)
        )
    for sym, (kind, times, status) in spec.get("faults", {}).items():
        server.faults[sym] = Fault(kind, times, status)
    for module in (yfinance.multi, yfinance.data, yfinance.base, yfinance.scrapers.history):
        module.new_session = server.session  # type: ignore[attr-defined]
    defaults = YahooSource.__init__.__kwdefaults__
    assert defaults is not None
    defaults.update(sleep=server.advance, pause=0.0, clock=lambda: server.clock)
    if "history_years" in spec:
        years = settings.SETTINGS["history_years"]
        settings.SETTINGS["history_years"] = replace(years, default=spec["history_years"])

    def dump() -> None:
        Path(spec["calls_out"]).write_text("".join(f"{c}\n" for c in server.calls), "utf-8")

    atexit.register(dump)
    from screener.cli import cli

    cli.main(cli_args, prog_name="screener")


if __name__ == "__main__":
    main(sys.argv[1:])
