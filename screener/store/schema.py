"""The store's tables, as DDL, and the schema version that guards them.

Dates are DuckDB ``DATE`` (the exchange's trading day, no time zone); timestamps are
``TIMESTAMP`` holding naive UTC. ``flags`` is text: semicolon-joined codes from
:data:`screener.store.checks.FLAG_CODES`, ``''`` for a clean bar (never NULL, so counting is easy).
"""

from __future__ import annotations

import re

import duckdb

#: Bump when a table changes shape; add the upgrade step to :data:`MIGRATIONS`.
SCHEMA_VERSION = 1

STORE_FILENAME = "screener.duckdb"

_V1 = (
    """
    CREATE TABLE IF NOT EXISTS schema_version (
        version    INTEGER NOT NULL,
        applied_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS prices (
        ticker     VARCHAR NOT NULL,
        date       DATE NOT NULL,
        open       DOUBLE,
        high       DOUBLE,
        low        DOUBLE,
        close      DOUBLE,
        adj_close  DOUBLE,
        volume     DOUBLE,
        source     VARCHAR NOT NULL,
        synthetic  BOOLEAN NOT NULL,
        flags      VARCHAR NOT NULL DEFAULT '',
        fetched_at TIMESTAMP NOT NULL,
        PRIMARY KEY (ticker, date)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS instruments (
        ticker         VARCHAR PRIMARY KEY,
        name           VARCHAR,
        currency       VARCHAR,
        exchange       VARCHAR,
        timezone       VARCHAR,
        market_cap     DOUBLE,
        price_divisor  DOUBLE,
        quote_currency VARCHAR,
        source         VARCHAR NOT NULL,
        synthetic      BOOLEAN NOT NULL,
        updated_at     TIMESTAMP NOT NULL
    )
    """,
    "CREATE SEQUENCE IF NOT EXISTS fetch_log_id START 1",
    """
    CREATE TABLE IF NOT EXISTS fetch_log (
        id          BIGINT PRIMARY KEY DEFAULT nextval('fetch_log_id'),
        ticker      VARCHAR NOT NULL,
        source      VARCHAR NOT NULL,
        started_at  TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        status      VARCHAR NOT NULL CHECK (status IN ('ok', 'failed')),
        reason      VARCHAR,
        rows        INTEGER NOT NULL DEFAULT 0,
        first_date  DATE,
        last_date   DATE
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS runs (
        run_id        VARCHAR PRIMARY KEY,
        week          VARCHAR NOT NULL,
        as_of         DATE NOT NULL,
        generated_at  TIMESTAMP NOT NULL,
        universe_name VARCHAR,
        universe_hash VARCHAR,
        weights_json  VARCHAR,
        preset        VARCHAR,
        source        VARCHAR,
        synthetic     BOOLEAN NOT NULL,
        tool_version  VARCHAR,
        document_json VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS run_results (
        run_id       VARCHAR NOT NULL,
        company_id   VARCHAR NOT NULL,
        ticker       VARCHAR,
        rank         INTEGER,
        score        DOUBLE,
        payload_json VARCHAR NOT NULL,
        PRIMARY KEY (run_id, company_id)
    )
    """,
)

#: version -> statements that bring a store at ``version - 1`` to ``version``.
MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1}


def tables_of(version: int) -> list[str]:
    """The tables a store at ``version`` holds (from the DDL of its migrations)."""
    names = []
    for v in range(1, version + 1):
        for statement in MIGRATIONS[v]:
            m = re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", statement)
            if m:
                names.append(m.group(1))
    return names


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Base tables of the open database's main schema, sorted."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]
