"""CSV import: the happy paths, every error with its exact message, and all-or-nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screener.errors import PriceDataError
from screener.sources import get_source
from screener.sources.base import INSTRUMENT_COLUMNS, PRICE_COLUMNS
from screener.sources.csvfile import (
    MAX_LINE,
    SHOWN_PROBLEMS,
    CsvImportError,
    CsvSource,
    parse_csv,
    parse_symbol,
)
from screener.universe.symbols import EXAMPLES

FULL = """\
date,ticker,open,high,low,close,adj_close,volume,currency
2025-01-03,MP,20.0,21.0,19.5,20.5,20.4,3100000,USD
2025-01-03,LYC.AX,7.0,7.3,6.9,7.2,7.1,2500000,AUD
2025-01-06,MP,20.5,22.0,20.1,21.8,21.7,4200000,USD
2025-01-06,LYC.AX,7.2,7.4,7.0,7.1,7.0,1800000,AUD
"""


def write(path: Path, text: str, *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CsvImportError) as info:
        parse_csv(path)
    return info.value.problems


# --- happy paths ------------------------------------------------------------------------------


def test_full_file(tmp_path: Path) -> None:
    res, notes = parse_csv(write(tmp_path / "prices.csv", FULL))
    assert res.source == "csv" and res.synthetic is False and res.failures == {}
    assert tuple(res.prices.columns) == PRICE_COLUMNS
    assert tuple(res.instruments.columns) == INSTRUMENT_COLUMNS
    assert res.prices.date.dtype == "datetime64[ns]"
    assert list(res.prices.ticker) == ["LYC.AX", "LYC.AX", "MP", "MP"]  # sorted by ticker, date
    mp = res.prices[res.prices.ticker == "MP"].iloc[1]
    assert mp.date == pd.Timestamp("2025-01-06")
    assert (mp.open, mp.high, mp.low, mp.close, mp.adj_close, mp.volume) == (
        20.5,
        22.0,
        20.1,
        21.8,
        21.7,
        4200000.0,
    )
    inst = res.instruments.set_index("ticker")
    assert inst.loc[
        "LYC.AX", ["currency", "exchange", "timezone", "price_divisor", "quote_currency"]
    ].tolist() == [
        "AUD",
        "ASX",
        "Australia/Sydney",
        1.0,
        "AUD",
    ]
    assert inst.market_cap.isna().all()
    assert notes == []


def test_folder_of_files_is_parsed_in_name_order(tmp_path: Path) -> None:
    write(tmp_path / "b.csv", "date,ticker,close\n2025-01-06,MP,21.8\n")
    write(tmp_path / "a.csv", "date,ticker,close\n2025-01-03,MP,20.5\n2025-01-03,ARU.AX,0.2\n")
    write(tmp_path / "readme.txt", "not a csv")
    res, _ = parse_csv(tmp_path)
    assert res.prices[["ticker", "close"]].values.tolist() == [
        ["ARU.AX", 0.2],
        ["MP", 20.5],
        ["MP", 21.8],
    ]


def test_optional_columns_absent(tmp_path: Path) -> None:
    res, notes = parse_csv(write(tmp_path / "p.csv", "date,ticker,close\n2025-01-03,lyc.ax,7.2\n"))
    row = res.prices.iloc[0]
    assert row.ticker == "LYC.AX"
    assert np.isnan(row.open) and np.isnan(row.high) and np.isnan(row.low) and np.isnan(row.volume)
    assert row.adj_close == row.close == 7.2
    assert res.instruments.currency.tolist() == ["AUD"]  # from the .AX suffix
    assert notes == [
        "p.csv: no adj_close; adj_close = close (no dividend or split adjustment)",
        "no currency given for 1 ticker(s); taken from the suffix (LYC.AX -> AUD)",
    ]


def test_header_any_order_case_and_spaces(tmp_path: Path) -> None:
    text = " Close ,Volume,TICKER,Adj Close, Date,Bloomberg Field\n20.5,100,MP,20.4,2025-01-03,x\n"
    res, notes = parse_csv(write(tmp_path / "p.csv", text))
    row = res.prices.iloc[0]
    assert (row.ticker, row.close, row.adj_close, row.volume) == ("MP", 20.5, 20.4, 100.0)
    assert notes == [
        "p.csv: column 'Bloomberg Field' ignored",
        "no currency given for 1 ticker(s); taken from the suffix (MP -> USD)",
    ]


def test_empty_optional_cells_are_nan_and_adj_close_falls_back(tmp_path: Path) -> None:
    text = "date,ticker,open,close,adj_close,volume\n2025-01-03,MP,,20.5,,\n2025-01-06,MP,20.6,21,20.9,5\n"
    res, _ = parse_csv(write(tmp_path / "p.csv", text))
    first = res.prices.iloc[0]
    assert np.isnan(first.open) and np.isnan(first.volume)
    assert first.adj_close == 20.5
    assert res.prices.iloc[1].adj_close == 20.9


def test_bom_and_windows_line_endings(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", FULL, encoding="utf-8-sig", newline="\r\n")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfdate")
    res, _ = parse_csv(path)
    expected, _ = parse_csv(write(tmp_path / "plain.csv", FULL))
    pd.testing.assert_frame_equal(res.prices, expected.prices)


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "date,ticker,close\n\n2025-01-03,MP,20.5\n\n\n2025-01-06,MP,oops\n"
    assert problems_of(write(tmp_path / "p.csv", text)) == [
        "p.csv line 6: close 'oops' is not a number"
    ]


def test_lines_of_bare_separators_are_blank(tmp_path: Path) -> None:
    text = "date,ticker,close\n2025-01-03,MP,20.5\n,,\n,,,,\n2025-01-06,MP,21\n"
    res, _ = parse_csv(write(tmp_path / "p.csv", text))
    assert res.prices.close.tolist() == [20.5, 21.0]


def test_line_numbers_count_physical_lines_inside_quotes(tmp_path: Path) -> None:
    text = 'date,ticker,close,note\n2025-01-03,MP,20.5,"two\nlines"\n2025-01-06,MP,x,\n'
    assert problems_of(write(tmp_path / "p.csv", text)) == [
        "p.csv line 4: close 'x' is not a number"
    ]


def test_non_positive_and_absurd_prices_are_bad_input(tmp_path: Path) -> None:
    text = (
        "date,ticker,open,close\n2025-01-03,MP,1,0\n2025-01-06,MP,1,-2.5\n"
        "2025-01-07,MP,0,20\n2025-01-08,MP,1,1e300\n2025-01-09,MP,1,20000000\n"
        "2025-01-10,MP,1,10000000\n"
    )
    assert problems_of(write(tmp_path / "p.csv", text)) == [
        "p.csv line 2: close '0' is not positive (a price must be > 0)",
        "p.csv line 3: close '-2.5' is not positive (a price must be > 0)",
        "p.csv line 4: open '0' is not positive (a price must be > 0)",
        "p.csv line 5: close '1e300' is above 1e+07, the largest price accepted "
        "(check the unit and the decimal separator)",
        "p.csv line 6: close '20000000' is above 1e+07, the largest price accepted "
        "(check the unit and the decimal separator)",
    ]


def test_dates_after_today_or_before_1900_are_bad_input(tmp_path: Path) -> None:
    text = (
        "date,ticker,close\n2025-01-03,MP,20\n2025-01-04,MP,20\n2099-01-01,MP,20\n"
        "1899-12-31,MP,20\n0001-01-01,MP,20\n"
    )
    path = write(tmp_path / "p.csv", text)
    with pytest.raises(CsvImportError) as info:
        parse_csv(path, today=date(2025, 1, 3))
    assert info.value.problems == [
        "p.csv line 3: date '2025-01-04' is in the future (today is 2025-01-03)",
        "p.csv line 4: date '2099-01-01' is in the future (today is 2025-01-03)",
        "p.csv line 5: date '1899-12-31' is before 1900-01-01 (no usable prices are that old)",
        "p.csv line 6: date '0001-01-01' is before 1900-01-01 (no usable prices are that old)",
    ]
    res, _ = parse_csv(
        write(tmp_path / "ok.csv", "date,ticker,close\n2025-01-03,MP,20\n"), today=date(2025, 1, 3)
    )
    assert len(res.prices) == 1  # today itself is fine


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("MP;rm -rf /", "'MP;rm -rf /' is not a Yahoo symbol: ' ', '/', ';' not allowed"),
        ("../../etc/passwd", "'../../etc/passwd' is not a Yahoo symbol: '/' not allowed"),
        ("A" * 5000, "is 5,000 characters long; a Yahoo symbol has at most 24"),
        ("MP$", "'MP$' is not a Yahoo symbol: '$' not allowed"),
        (".AX", "'.AX' is not a Yahoo symbol"),
        ("LYC..AX", "'LYC..AX' is not a Yahoo symbol"),
    ],
)
def test_tickers_must_be_yahoo_symbols(tmp_path: Path, cell: str, problem: str) -> None:
    text = f"date,ticker,close\n2025-01-03,{cell},20\n"
    (got,) = problems_of(write(tmp_path / "p.csv", text))
    assert got.startswith("p.csv line 2: ") and problem in got


@pytest.mark.parametrize(
    "symbol", ["MP", "lyc.ax", "4063.T", "BRK-B", "AUDUSD=X", "^GSPC", "M&M.NS"]
)
def test_real_symbol_shapes_are_accepted(symbol: str) -> None:
    assert parse_symbol(symbol) == symbol.upper()


def test_only_the_first_problems_are_named_with_the_count(tmp_path: Path) -> None:
    rows = [f"2025-01-{d:02d},MP,x" for d in range(1, 31)]
    path = write(tmp_path / "p.csv", "date,ticker,close\n" + "\n".join(rows) + "\n")
    with pytest.raises(CsvImportError) as info:
        parse_csv(path)
    assert info.value.count == 30 and len(info.value.problems) == SHOWN_PROBLEMS
    assert info.value.problems[0] == "p.csv line 2: close 'x' is not a number"
    assert info.value.problems[-1] == f"p.csv line {SHOWN_PROBLEMS + 1}: close 'x' is not a number"
    assert str(info.value).startswith(f"{path}: 30 problems, nothing imported")
    assert str(info.value).endswith(
        f"… and {30 - SHOWN_PROBLEMS} more (the first {SHOWN_PROBLEMS} are shown)"
    )


def test_duplicates_with_different_values_say_so(tmp_path: Path) -> None:
    text = "date,ticker,close\n2025-01-03,MP,20\n2025-01-03,MP,20\n2025-01-03,MP,21\n"
    assert problems_of(write(tmp_path / "p.csv", text)) == [
        "p.csv line 3: duplicate of line 2 (MP 2025-01-03)",
        "p.csv line 4: duplicate of line 2 with different values (MP 2025-01-03)",
    ]


def test_a_huge_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("date,ticker,close\n2025-01-03,MP,20\n" + "9" * 5_000_000 + "\n")
    assert problems_of(path) == [
        f"p.csv line 3: longer than {MAX_LINE:,} characters (not a price export, or a broken file)"
    ]


def test_chunks_keep_line_numbers_and_cross_chunk_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screener.sources.csvfile as csvfile

    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 7)
    days = pd.bdate_range("2024-01-01", periods=40)
    rows = [f"{d.date()},MP,{10 + i}" for i, d in enumerate(days)]
    rows[30] = f"{days[3].date()},MP,99"  # line 32 repeats line 5's key, 4 chunks later
    path = write(tmp_path / "p.csv", "date,ticker,close\n" + "\n".join(rows) + "\n")
    assert problems_of(path) == [
        "p.csv line 32: duplicate of line 5 with different values (MP 2024-01-04)"
    ]
    rows[30] = f"{days[30].date()},MP,40"
    res, _ = parse_csv(write(tmp_path / "p.csv", "date,ticker,close\n" + "\n".join(rows) + "\n"))
    assert res.prices.close.tolist() == [10.0 + i for i in range(40)]


# --- minor currency units -----------------------------------------------------------------------


def test_pence_are_converted_to_pounds(tmp_path: Path) -> None:
    text = (
        "date,ticker,open,high,low,close,volume,currency\n"
        "2025-01-03,RARE.L,150,155,149,152,1000,GBp\n"
        "2025-01-03,OTHER.L,50,51,49,50.5,10,GBX\n"
        "2025-01-03,POUND.L,1.5,1.6,1.4,1.55,10,GBP\n"
    )
    res, _ = parse_csv(write(tmp_path / "p.csv", text))
    p = res.prices.set_index("ticker")
    assert p.loc["RARE.L", ["open", "high", "low", "close", "adj_close"]].tolist() == [
        1.5,
        1.55,
        1.49,
        1.52,
        1.52,
    ]
    assert p.loc["RARE.L", "volume"] == 1000  # shares are not scaled
    assert p.loc["OTHER.L", "close"] == pytest.approx(0.505)
    assert p.loc["POUND.L", "close"] == 1.55
    i = res.instruments.set_index("ticker")
    assert i.loc["RARE.L", ["currency", "price_divisor", "quote_currency"]].tolist() == [
        "GBP",
        100.0,
        "GBp",
    ]
    assert i.loc["OTHER.L", ["currency", "price_divisor", "quote_currency"]].tolist() == [
        "GBP",
        100.0,
        "GBX",
    ]
    assert i.loc["POUND.L", ["currency", "price_divisor"]].tolist() == ["GBP", 1.0]


def test_suffix_implies_pence_when_no_currency_is_given(tmp_path: Path) -> None:
    res, notes = parse_csv(write(tmp_path / "p.csv", "date,ticker,close\n2025-01-03,RARE.L,152\n"))
    assert res.prices.close.tolist() == [1.52]
    assert res.instruments.price_divisor.tolist() == [100.0]
    assert (
        "RARE.L: no currency given; GBp assumed from the '.L' suffix, prices divided by 100"
        in notes
    )


def test_an_unknown_exchange_suffix_is_refused(tmp_path: Path) -> None:
    """The shared symbol grammar knows each exchange's currency and session; a suffix it does
    not know is named with the fix rather than imported with no currency."""
    (got,) = problems_of(write(tmp_path / "p.csv", "date,ticker,close\n2025-01-03,ABC.ZZ,1\n"))
    assert got.startswith("p.csv line 2: 'ABC.ZZ': .ZZ is not an exchange suffix screener knows")


# --- errors: every class, exact text, line numbers ----------------------------------------------


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2025-01-07,MP,n/a", "close 'n/a' is not a number"),
        ("2025-01-07,MP,nan", "close 'nan' is not a number"),
        ("2025-01-07,MP,inf", "close 'inf' is not a number"),
        ('2025-01-07,MP,"1,234.5"', "close '1,234.5' is not a number"),
        ("2025-01-07,MP,", "close is empty"),
        ("2025-13-01,MP,20", "date '2025-13-01' is not a date (use YYYY-MM-DD)"),
        ("07/01/2025,MP,20", "date '07/01/2025' is not a date (use YYYY-MM-DD)"),
        ("2025-02-30,MP,20", "date '2025-02-30' is not a date (use YYYY-MM-DD)"),
        (",MP,20", "date is empty (use YYYY-MM-DD)"),
        ("2025-01-07,,20", f"an empty symbol is not a Yahoo symbol ({EXAMPLES})"),
        (
            "2025-01-07,MP US Equity,20",
            "'MP US Equity' is not a Yahoo symbol: ' ' not allowed (letters, digits and "
            f". - ^ = & only; {EXAMPLES})",
        ),
        ("2025-01-03,MP,20", "duplicate of line 2 with different values (MP 2025-01-03)"),
        ("2025-01-07,MP", "expected 3 fields, found 2"),
        ("2025-01-07,MP,20,4", "expected 3 fields, found 4"),
        (",,,4", "expected 3 fields, found 4"),
    ],
)
def test_bad_row_messages(tmp_path: Path, row: str, problem: str) -> None:
    text = f"date,ticker,close\n2025-01-03,MP,20.5\n2025-01-06,MP,21\n{row}\n"
    assert problems_of(write(tmp_path / "prices.csv", text)) == [f"prices.csv line 4: {problem}"]


def test_trailing_empty_fields_are_tolerated(tmp_path: Path) -> None:
    res, _ = parse_csv(write(tmp_path / "p.csv", "date,ticker,close\n2025-01-03,MP,20.5,,\n"))
    assert res.prices.close.tolist() == [20.5]


def test_volume_and_currency_messages(tmp_path: Path) -> None:
    text = (
        "date,ticker,close,volume,currency\n"
        "2025-01-03,MP,20.5,100,USD\n"
        "2025-01-06,MP,21,-5,usd\n"
        "2025-01-07,MP,21,5,AUD\n"
        "2025-01-08,MP,21,5,US Dollar\n"
        "2025-01-08,X.L,21,many,GBp\n"
    )
    assert problems_of(write(tmp_path / "prices.csv", text)) == [
        "prices.csv line 3: volume '-5' is negative (must be >= 0)",
        "prices.csv line 4: currency 'AUD' differs from 'USD' on line 2 for MP",
        "prices.csv line 5: currency 'US Dollar' is not a currency code (use ISO codes like USD, or GBp for pence)",
        "prices.csv line 6: volume 'many' is not a number",
    ]


def test_every_bad_row_is_listed_in_line_order(tmp_path: Path) -> None:
    lines = ["date,ticker,close"] + [f"2025-01-{d:02d},MP,{d}" for d in range(1, 31)]
    lines[17 - 1] = "2025-01-16,MP,n/a"
    lines[20 - 1] = "2025-13-01,MP,1"
    lines[22 - 1] = "2025-01-08,MP,3"  # same key as line 9
    path = write(tmp_path / "prices.csv", "\n".join(lines) + "\n")
    with pytest.raises(CsvImportError) as info:
        parse_csv(path)
    assert info.value.problems == [
        "prices.csv line 17: close 'n/a' is not a number",
        "prices.csv line 20: date '2025-13-01' is not a date (use YYYY-MM-DD)",
        "prices.csv line 22: duplicate of line 9 with different values (MP 2025-01-08)",
    ]
    assert str(info.value) == (
        f"{path}: 3 problems, nothing imported\n"
        "  - prices.csv line 17: close 'n/a' is not a number\n"
        "  - prices.csv line 20: date '2025-13-01' is not a date (use YYYY-MM-DD)\n"
        "  - prices.csv line 22: duplicate of line 9 with different values (MP 2025-01-08)"
    )
    assert isinstance(info.value, PriceDataError) and info.value.exit_code == 2


def test_duplicate_across_files_names_both(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "date,ticker,close\n2025-01-02,MP,20\n2025-01-03,MP,20.5\n")
    write(tmp_path / "b.csv", "date,ticker,close\n2025-01-03,mp,20.6\n")
    assert problems_of(tmp_path) == [
        "b.csv line 2: duplicate of a.csv line 3 with different values (MP 2025-01-03)"
    ]


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "date,ticker,open\n2025-01-03,MP,1\n",
            ["prices.csv: missing column 'close' (required: date, ticker, close)"],
        ),
        (
            "Close\n1\n",
            [
                "prices.csv: missing column 'date' (required: date, ticker, close)",
                "prices.csv: missing column 'ticker' (required: date, ticker, close)",
            ],
        ),
        ("", ["prices.csv: file is empty (expected a header line: date,ticker,close,...)"]),
        ("\n\n", ["prices.csv: file is empty (expected a header line: date,ticker,close,...)"]),
        ("date,ticker,close\n", ["prices.csv: no data rows after the header (line 1)"]),
        (
            "date,ticker,close,Close\n2025-01-03,MP,1,1\n",
            ["prices.csv: column 'close' appears twice"],
        ),
        (
            "date;ticker;close\n2025-01-03;MP;1\n",
            ["prices.csv: the header uses ';' as separator; export with ',' (comma) separators"],
        ),
    ],
)
def test_file_level_errors(tmp_path: Path, text: str, problems: list[str]) -> None:
    assert problems_of(write(tmp_path / "prices.csv", text)) == problems


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes("date,ticker,close\n2025-01-03,MP,20\n2025-01-03,SOCIÉTÉ,1\n".encode("cp1252"))
    assert problems_of(path) == ["prices.csv: not UTF-8 text (save the export as 'CSV UTF-8')"]


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(PriceDataError, match="no such file or folder"):
        parse_csv(tmp_path / "nope.csv")
    with pytest.raises(PriceDataError, match=r"folder has no \*\.csv files"):
        parse_csv(tmp_path)


def test_all_or_nothing(tmp_path: Path) -> None:
    good = [
        f"{d.date()},MP,{20 + i * 0.1:.2f}"
        for i, d in enumerate(pd.bdate_range("2024-01-01", periods=200))
    ]
    text = (
        "date,ticker,close\n" + "\n".join([*good[:150], "2024-12-31,MP,#N/A", *good[150:]]) + "\n"
    )
    path = write(tmp_path / "prices.csv", text)
    with pytest.raises(CsvImportError) as info:
        parse_csv(path)
    assert info.value.problems == ["prices.csv line 152: close '#N/A' is not a number"]
    with pytest.raises(CsvImportError):  # the source does not return the 200 good rows either
        CsvSource(path).fetch(["MP"], None, None)


def test_one_bad_file_in_a_folder_blocks_the_others(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", FULL)
    write(tmp_path / "b.csv", "date,ticker,close\n2025-01-03,ARU.AX,x\n")
    assert problems_of(tmp_path) == ["b.csv line 2: close 'x' is not a number"]


# --- the Source ---------------------------------------------------------------------------------


def test_csv_source_filters_and_reports_failures(tmp_path: Path) -> None:
    path = write(tmp_path / "prices.csv", FULL + "2024-06-03,ARU.AX,0.2,0.2,0.2,0.2,0.2,10,AUD\n")
    src = get_source("csv", path=path)
    assert isinstance(src, CsvSource) and src.name == "csv" and src.synthetic is False
    res = src.fetch(["mp", "ARU.AX", "NOPE.AX"], date(2025, 1, 4), None)
    assert res.source == "csv" and res.synthetic is False
    assert res.prices[["ticker", "date"]].values.tolist() == [["MP", pd.Timestamp("2025-01-06")]]
    assert res.instruments.ticker.tolist() == ["MP"]
    assert res.failures == {
        "ARU.AX": "no rows between 2025-01-04 and the end in prices.csv",
        "NOPE.AX": "not in prices.csv",
    }
    everything = src.fetch([], None, None)
    assert sorted(set(everything.prices.ticker)) == ["ARU.AX", "LYC.AX", "MP"]
    assert everything.failures == {}
