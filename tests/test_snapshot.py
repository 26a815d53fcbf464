"""The bundled snapshot holds real prices: pinned to known closes and to each market's calendar."""


import pandas as pd
import pytest

from eventstudy import REGISTRY, PriceSourceError, UnknownTickerError, exchange_sessions


def close(daily, ticker, date, col="close"):
    row = daily[(daily["ticker"] == ticker) & (daily["date"] == pd.Timestamp(date))]
    assert len(row) == 1, (ticker, date)
    return float(row[col].iloc[0])


@pytest.mark.parametrize(
    "ticker,date,value",
    [
        ("^N225", "2025-10-27", 50512.32),  # first Nikkei close above 50,000
        ("^KS11", "2025-10-27", 4042.83),  # first KOSPI close above 4,000
        ("^GSPC", "2025-05-12", 5844.19),  # S&P 500 on the Geneva-deal day
        ("^GSPC", "2025-05-09", 5659.91),
        ("^N225", "2025-10-24", 49299.65),
        ("^KS11", "2025-10-24", 3941.59),
        ("000001.SS", "2024-09-30", 3336.50),  # SSE after the September 2024 stimulus rally
    ],
)
def test_known_closes(bundled_daily, ticker, date, value):
    assert close(bundled_daily, ticker, date) == pytest.approx(value, abs=0.006)  # quoted to 2 decimals


@pytest.mark.parametrize(
    "date,raw",
    # raw SPY closes as quoted at the time (PROVENANCE.md: alitalbi's unadjusted Jan-2026 row; the
    # last regular-session bar of 2025-05-06 in the independent hourly file)
    [("2024-06-03", 527.80), ("2025-05-06", 558.80), ("2025-05-12", 582.99), ("2026-01-12", 695.16)],
)
def test_spy_raw_close_rebuilt_from_dividends(bundled_daily, date, raw):
    assert close(bundled_daily, "SPY", date, "close") == pytest.approx(raw, abs=0.005)
    assert close(bundled_daily, "SPY", date, "adj_close") < raw  # adjusted for later dividends


def test_spy_level_claim_2026_02_09(bundled_daily):
    """Seed 000: 'The SPY was up 0.48% at $693.95, while the QQQ advanced 0.77% to $614.32' (Monday 2026-02-09)."""
    assert close(bundled_daily, "SPY", "2026-02-09") == pytest.approx(693.95, abs=0.005)
    assert close(bundled_daily, "QQQ", "2026-02-09") == pytest.approx(614.32, abs=0.005)


def test_every_row_is_a_session_of_its_calendar(bundled_daily):
    for ticker, grp in bundled_daily.groupby("ticker"):
        sessions = exchange_sessions(REGISTRY[ticker].calendar).sessions
        assert grp["date"].isin(sessions).all(), ticker
        assert (grp["date"].dt.day_of_week < 5).all(), ticker


def test_manifest_lists_removed_rows_and_gaps(bundled):
    m = bundled.manifest["daily"]
    ym = {r["date"]: r["reason"] for r in m["YM=F"]["removed_rows"]}
    assert ym["2025-07-13"] == "weekend"  # a Sunday-evening partial-session row in the source
    assert "holiday" in ym["2025-09-01"]  # Labor Day partial session
    hsi = {g["date"] for g in m["^HSI"]["sessions_without_price"]}
    assert hsi == {"2023-09-01", "2023-09-08"}  # typhoon / black-rainstorm closures
    for info in m.values():
        assert len(info["source_sha256"]) == 64 and len(info["upstream_commit"]) == 40


def test_manifest_describes_the_bundled_files(bundled):
    """snapshot.json and the files it lists agree: rows, first and last date or bar of every file.
    (The source hashes are checked where the raw files are: scripts/build_snapshot.py rebuilds the
    snapshot from ../shared/data/raw byte for byte; see README, Development.)"""
    import gzip

    for ticker, info in bundled.manifest["daily"].items():
        df = pd.read_csv(bundled.root / info["file"])
        assert len(df) == info["rows"], ticker
        assert (df["date"].iloc[0], df["date"].iloc[-1]) == (info["first"], info["last"]), ticker
    for name, info in bundled.manifest["intraday"].items():
        with gzip.open(bundled.root / info["file"], "rt") as f:
            df = pd.read_csv(f)
        assert len(df) == info["rows"], name
        first, last = pd.Timestamp(df["time"].iloc[0]), pd.Timestamp(df["time"].iloc[-1])
        assert (first, last) == (pd.Timestamp(info["first"]), pd.Timestamp(info["last"])), name


def test_hourly_spy_agrees_with_daily_raw_close(bundled, bundled_daily):
    """Two independent sources: the last hourly bar of 2025-05-06 closes at the daily raw close."""
    bars = bundled.intraday("SPY", "2025-05-06T09:30:00-04:00", "2025-05-06T16:00:00-04:00", "1h")
    assert bars["time"].iloc[-1] == pd.Timestamp("2025-05-06T15:30:00-04:00")
    assert bars["close"].iloc[-1] == pytest.approx(close(bundled_daily, "SPY", "2025-05-06"), abs=0.01)


def test_es_bars_kuala_lumpur_weekend(bundled):
    """ES bars (naive US/Eastern + 5 h in the source) land on the right UTC instants: the 15-minute
    bar starting Friday 2025-10-24 15:45 ET closes 6827.25 and the Sunday 2025-10-26 18:00 ET
    reopen prints 6881.00 (PROVENANCE.md), +0.79 % over the Kuala Lumpur weekend."""
    fri = bundled.intraday("ES=F", "2025-10-24T12:00:00-04:00", "2025-10-24T17:00:00-04:00", "15m")
    assert fri["time"].iloc[-1] == pd.Timestamp("2025-10-24T15:45:00-04:00")
    assert fri["close"].iloc[-1] == 6827.25
    one = bundled.intraday("ES=F", "2025-10-24T15:59:00-04:00", "2025-10-24T15:59:00-04:00", "1m")
    assert one["close"].iloc[0] == 6827.25  # the 1-minute file agrees with the 15-minute file
    sun = bundled.intraday("ES=F", "2025-10-26T12:00:00-04:00", "2025-10-26T18:00:00-04:00", "1m")
    assert len(sun) == 1 and sun["time"].iloc[0] == pd.Timestamp("2025-10-26T18:00:00-04:00")
    assert sun["open"].iloc[0] == 6881.00
    # nothing trades between the Friday close and the Sunday 18:00 ET reopen
    assert bundled.intraday("ES=F", "2025-10-25T00:00:00-04:00", "2025-10-26T18:00:00-04:00", "1m")["time"].iloc[0] \
        == pd.Timestamp("2025-10-26T18:00:00-04:00")


def test_es_16h_bar_matches_yahoo_daily_close(bundled, bundled_daily):
    """At the 16:00 ET mark the minute bars match Yahoo ES=F daily closes to about 0.03 % (after the roll)."""
    for day in ["2025-10-27", "2025-10-30", "2025-11-03"]:
        bars = bundled.intraday("ES=F", f"{day}T15:59:00-04:00" if day < "2025-11-02" else f"{day}T15:59:00-05:00",
                                f"{day}T15:59:00-04:00" if day < "2025-11-02" else f"{day}T15:59:00-05:00", "1m")
        assert bars["close"].iloc[0] == pytest.approx(close(bundled_daily, "ES=F", day), rel=5e-4)


def test_unknown_ticker_and_missing_intraday_are_clear(bundled):
    with pytest.raises(UnknownTickerError, match=r"no prices for 'TSLA'.*eventstudy fetch TSLA"):
        bundled.daily(["TSLA"])
    with pytest.raises(PriceSourceError, match=r"no 1m bars for 'NQ=F'.*eventstudy fetch NQ=F"):
        bundled.intraday("NQ=F", "2025-10-26T18:00:00-04:00", "2025-10-26T19:00:00-04:00", "1m")
    with pytest.raises(PriceSourceError, match="has no time zone"):
        bundled.intraday("ES=F", "2025-10-26 18:00", "2025-10-26T19:00:00-04:00", "1m")
    with pytest.raises(PriceSourceError, match="no bundled 1m bars for ES=F between"):
        bundled.intraday("ES=F", "2025-05-06T18:00:00-04:00", "2025-05-06T20:00:00-04:00", "1m")


def test_provenance_file_ships_with_package(bundled):
    text = (bundled.root / "PROVENANCE.md").read_text()
    for info in bundled.manifest["daily"].values():
        assert info["upstream_repo"] in text
