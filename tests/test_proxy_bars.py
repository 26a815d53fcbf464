"""The bundled SPXL and XLK extended-hours minute bars of 2025-05-06 (proxy-only assets).

Every price below was read by hand from the raw excerpts
``../shared/data/raw/Wat-Street__money-making/{SPXL,XLK}_1min_excerpt_2025-05-06.csv`` (naive UTC
bar starts, one row per minute with trades), never from the code under test.
"""

import pandas as pd
import pytest

from eventstudy.assets import DEFAULT_ASSETS, REGISTRY
from eventstudy.bars import load_bars, price_at_instant
from eventstudy.prices.bundled import BundledSource

LO, HI = pd.Timestamp("2025-05-06T15:00:00-04:00"), pd.Timestamp("2025-05-06T21:00:00-04:00")


@pytest.fixture(scope="module")
def spxl():
    return load_bars("SPXL", LO, HI, "1m", BundledSource())


@pytest.fixture(scope="module")
def xlk():
    return load_bars("XLK", LO, HI, "1m", BundledSource())


def bar(bars, utc):
    return bars.set_index("time").loc[pd.Timestamp(utc, tz="UTC")]


def test_registered_but_not_markets_of_the_study():
    for t in ("SPXL", "XLK"):
        a = REGISTRY[t]
        assert (a.kind, a.calendar, a.tz) == ("etf", "XNYS", "America/New_York")
        assert "extended-hours 1-minute" in a.notes and "2025-05-06" in a.notes
    assert len(DEFAULT_ASSETS) == 16 and "SPXL" not in DEFAULT_ASSETS and "XLK" not in DEFAULT_ASSETS


def test_bars_are_tz_aware_utc_bar_starts(spxl, xlk):
    for bars in (spxl, xlk):
        assert str(bars["time"].dt.tz) == "UTC" and str(bars["bar_end"].dt.tz) == "UTC"
    # raw row '2025-05-06 19:59:00,131.59,131.59,130.72,130.79,71338.0' = 15:59 EDT, the last regular minute
    assert spxl["time"].iloc[0] == pd.Timestamp("2025-05-06T15:50:00-04:00")


def test_spxl_prices_read_by_hand(spxl):
    assert bar(spxl, "2025-05-06 19:59")["close"] == 130.79                # the 16:00 ET close
    b = bar(spxl, "2025-05-06 22:00")                                       # ~18:00 ET, the announcement
    assert (b["open"], b["close"]) == (129.70, 132.00)
    assert bar(spxl, "2025-05-06 22:01")["close"] == 133.90
    assert bar(spxl, "2025-05-06 22:59")["close"] == 134.05
    assert bar(spxl, "2025-05-06 23:00")["close"] == 133.98


def test_xlk_prices_read_by_hand(xlk):
    assert bar(xlk, "2025-05-06 19:59")["close"] == 213.56
    assert bar(xlk, "2025-05-06 22:59")["close"] == 215.75


def test_regular_close_ends_at_16_et_by_the_calendar(spxl):
    # the 19:59 UTC bar ends at the XNYS close 20:00 UTC; the price at 16:00 ET is its close
    assert bar(spxl, "2025-05-06 19:59")["bar_end"] == pd.Timestamp("2025-05-06T16:00:00-04:00")
    b0, e0, p = price_at_instant("SPXL", "2025-05-06T16:00:00-04:00")
    assert (b0, e0, p) == (pd.Timestamp("2025-05-06 19:59", tz="UTC"), pd.Timestamp("2025-05-06 20:00", tz="UTC"),
                           130.79)
    assert price_at_instant("XLK", "2025-05-06T16:00:00-04:00")[2] == 213.56


def test_price_at_19_et_is_the_last_bar_ending_by_then():
    # bars.py's close rule: the close of the last bar that ENDS at or before the instant. At 19:00 ET
    # (23:00 UTC) that is the 22:59 UTC bar (ends 23:00): SPXL 134.05, not the 23:00 bar's 133.98,
    # which ends at 23:01.
    assert price_at_instant("SPXL", "2025-05-06T19:00:00-04:00")[2] == 134.05
    assert price_at_instant("SPXL", "2025-05-06T19:01:00-04:00")[2] == 133.98
    assert price_at_instant("XLK", "2025-05-06T19:00:00-04:00")[2] == 215.75


def test_sparse_minutes_are_not_filled(xlk):
    # XLK trades at 22:26 (215.00) and next at 22:36 UTC: no rows in between, and the price at 22:30
    # UTC is the last bar's close (the 22:26 bar ends 22:27, one minute after its start).
    between = xlk[(xlk["time"] > pd.Timestamp("2025-05-06 22:26", tz="UTC"))
                  & (xlk["time"] < pd.Timestamp("2025-05-06 22:36", tz="UTC"))]
    assert between.empty
    assert bar(xlk, "2025-05-06 22:26")["bar_end"] == pd.Timestamp("2025-05-06 22:27", tz="UTC")
    b0, _, p = price_at_instant("XLK", "2025-05-06T18:30:00-04:00")
    assert b0 == pd.Timestamp("2025-05-06 22:26", tz="UTC") and p == 215.00
    # rows with trades only: 168 SPXL and 43 XLK rows in the excerpts (wc -l minus the header)
    src = BundledSource()
    assert src.manifest["intraday"]["SPXL_1m"]["rows"] == 168 and src.manifest["intraday"]["XLK_1m"]["rows"] == 43


def test_proxy_bars_are_not_markets_of_the_bundled_intraday_study():
    # `eventstudy run --interval 1m` studies every set intraday_sets lists: SPXL/XLK must not join it
    src = BundledSource()
    assert set(src.intraday_sets()["ticker"]) == {"SPY", "QQQ", "ES=F"}
    every = src.intraday_sets(include_proxies=True)
    assert set(every.loc[every["ticker"].isin(["SPXL", "XLK"]), "name"]) == {"SPXL_1m", "XLK_1m"}
