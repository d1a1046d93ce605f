"""Shared fixtures. Keep each section small and self-contained; other modules add their own."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------------------------
# every test: its own data dir, and no network beyond loopback
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes to the user's data dir or reaches past this machine.

    Loopback stays open (the browser tests talk to chromedriver on localhost); any other
    address, and any libcurl transfer (yfinance's HTTP client), raises at once.
    """
    import curl_cffi

    monkeypatch.setenv("SCREENER_HOME", str(tmp_path / "screener-home"))
    real_connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family == getattr(socket, "AF_UNIX", None) or (
            isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1"))
        ):
            return real_connect(self, address)
        raise AssertionError(f"a test tried to reach {address}: tests never use the network")

    def no_transfer(*args: object, **kwargs: object) -> None:
        raise AssertionError(
            "a test tried an HTTP transfer through libcurl: tests never use the network"
        )

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    monkeypatch.setattr(curl_cffi.Curl, "perform", no_transfer)


# --------------------------------------------------------------------------------------------
# fake Yahoo (tests/fakes/yahoo.py): yfinance's real code against an in-process server
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fake_yahoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An empty :class:`fakes.yahoo.FakeYahoo`; add listings with ``.add(make_listing(...))``.

    yfinance's process-global state is reset around the test, its sqlite caches live in
    ``tmp_path/yfinance-cache``, every session factory yfinance uses returns a fake session,
    and real sockets / libcurl transfers raise, so a request that escaped the fake would fail
    loudly. At teardown the fake must not have refused any URL.
    """
    import curl_cffi
    import yfinance.base
    import yfinance.data
    import yfinance.multi
    import yfinance.scrapers.history
    from fakes.yahoo import FakeYahoo, reset_yfinance_state

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to use the real network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(curl_cffi.Curl, "perform", no_network)
    server = FakeYahoo()
    for module in (yfinance.multi, yfinance.data, yfinance.base, yfinance.scrapers.history):
        monkeypatch.setattr(module, "new_session", server.session)
    reset_yfinance_state(str(tmp_path / "yfinance-cache"))
    yield server
    reset_yfinance_state()
    assert server.refused == [], f"fake Yahoo refused unknown URLs: {server.refused}"
