"""User CSV prices, wide and long; malformed files get errors naming file, line and column."""

import pandas as pd
import pytest

from eventstudy import CSVSource, PriceSourceError, UnknownTickerError


def test_wide_and_long_agree(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("date,SPY,^N225\n2025-05-02,566.76,36830.69\n2025-05-06,558.80,\n2025-05-07,561.15,36779.66\n")
    long = tmp_path / "long.csv"
    long.write_text("date,ticker,close\n2025-05-02,SPY,566.76\n2025-05-06,SPY,558.80\n2025-05-07,SPY,561.15\n"
                    "2025-05-02,^N225,36830.69\n2025-05-07,^N225,36779.66\n")
    a, b = CSVSource(wide).daily(), CSVSource(long).daily()
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 5  # the empty Nikkei cell is no session, not a zero or a fill


def test_long_with_adj_close(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("date,ticker,close,adj_close\n2025-05-06,SPY,558.80,551.05\n")
    row = CSVSource(p).daily().iloc[0]
    assert (row["close"], row["adj_close"]) == (558.80, 551.05)


def test_bad_date_names_line(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,SPY\n2025-05-02,1\n05/06/2025,2\n")
    with pytest.raises(PriceSourceError, match=r"p\.csv, line 3, column date: '05/06/2025' is not a YYYY-MM-DD"):
        CSVSource(p)


def test_non_numeric_close(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,SPY\n2025-05-02,1\n2025-05-05,n/a\n")
    with pytest.raises(PriceSourceError, match=r"p\.csv, line 3, column SPY: SPY on 2025-05-05 has price 'n/a', "
                                               "not a number"):
        CSVSource(p)


def test_duplicate_dates_wide(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,SPY\n2025-05-02,1\n2025-05-02,2\n")
    with pytest.raises(PriceSourceError, match="line 3: date 2025-05-02 appears twice"):
        CSVSource(p)


def test_duplicate_rows_long(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,ticker,close\n2025-05-02,SPY,1\n2025-05-02,SPY,2\n")
    with pytest.raises(PriceSourceError, match=r"duplicate \(ticker, date\) rows, first SPY 2025-05-02"):
        CSVSource(p)


def test_non_positive_price(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("date,SPY\n2025-05-02,0\n")
    with pytest.raises(PriceSourceError, match=r"line 2, column SPY: SPY on 2025-05-02 has price '0', a non-positive"):
        CSVSource(p)


def test_missing_file_and_unknown_column(tmp_path):
    with pytest.raises(PriceSourceError, match="no such price file"):
        CSVSource(tmp_path / "x.csv")
    p = tmp_path / "p.csv"
    p.write_text("date,SPY\n2025-05-02,1\n")
    with pytest.raises(UnknownTickerError, match=r"has no column/ticker \['QQQ'\]"):
        CSVSource(p).daily(["QQQ"])


def test_long_with_adj_close_only_and_without_prices(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("date,ticker,adj_close\n2025-05-06,SPY,551.05\n2025-05-07,SPY,552.30\n")
    df = CSVSource(p).daily()
    assert list(df["adj_close"]) == [551.05, 552.30] and df["close"].isna().all()  # raw levels unknown, not invented
    q = tmp_path / "q.csv"
    q.write_text("date,ticker,volume\n2025-05-06,SPY,1\n")
    with pytest.raises(PriceSourceError, match=r"a long price file needs a 'close' \(or 'adj_close'\) column"):
        CSVSource(q)


def test_daily_frame_sorted_stably_and_errors_name_the_first_row_in_input_order():
    from eventstudy.prices.base import check_daily_frame

    d = pd.to_datetime
    frame = pd.DataFrame({"ticker": ["QQQ", "SPY", "QQQ", "SPY"],
                          "date": d(["2025-05-06", "2025-05-05", "2025-05-05", "2025-05-06"]),
                          "close": [2.0, 3.0, 1.0, 4.0], "adj_close": [2.0, 3.0, 1.0, 4.0]})
    out = check_daily_frame(frame, "f")
    assert out["ticker"].tolist() == ["QQQ", "QQQ", "SPY", "SPY"]
    assert out["close"].tolist() == [1.0, 2.0, 3.0, 4.0]  # each row carries its own price
    assert list(out.index) == [0, 1, 2, 3]
    # two duplicated pairs: the message names the one whose first row comes first in the input
    dup = pd.concat([frame, frame.iloc[[3, 1]]], ignore_index=True)
    with pytest.raises(PriceSourceError, match=r"f: 4 duplicate \(ticker, date\) rows, first SPY 2025-05-05"):
        check_daily_frame(dup, "f")
    bad = frame.assign(adj_close=[2.0, 3.0, 1.0, -1.0])
    with pytest.raises(PriceSourceError, match=r"1 missing, non-finite or non-positive adj_close value\(s\), first SPY "
                                               r"2025-05-06"):
        check_daily_frame(bad, "f")
    no_date = frame.assign(date=[pd.NaT, *frame["date"][1:]])
    with pytest.raises(PriceSourceError, match="1 row\\(s\\) without a date, first at row 0"):
        check_daily_frame(no_date, "f")


def test_daily_frame_is_a_new_frame_not_a_view_of_the_callers():
    from eventstudy.prices.base import check_daily_frame

    df = pd.DataFrame({"ticker": ["A", "A", "B"], "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-02"]),
                       "close": [1.0, 2.0, 3.0], "adj_close": [1.0, 2.0, 3.0]})  # already in order
    out = check_daily_frame(df, "f")
    out.loc[0, "close"] = 9.0
    assert df["close"].tolist() == [1.0, 2.0, 3.0]
