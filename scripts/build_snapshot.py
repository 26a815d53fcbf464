"""Build the bundled price snapshot in eventstudy/data/ from ../shared/data/raw.

    python scripts/build_snapshot.py [RAW_DIR]

One series per ticker, from the file that ``PROVENANCE.md`` recommends. Each series is cut to
2020-01-01 onwards, checked against its exchange calendar (``eventstudy.calendars``): rows that
are not sessions (weekends, holidays, partial holiday sessions of futures) are removed and listed
with the reason; sessions the calendar has but the file lacks are listed as gaps (never filled).
SPY and QQQ raw closes are rebuilt from the ``Dividends`` column. Daily files keep the source's
volume where it has one (empty where it has none, reports 0, or a value 100 times off its
neighbours: each such date and the reason go to ``snapshot.json``). Intraday files are stored with
tz-aware UTC bar-start instants. Everything removed, every check and every source hash goes to
``eventstudy/data/snapshot.json``. The script is deterministic: rerunning it reproduces the files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from eventstudy.assets import REGISTRY  # noqa: E402
from eventstudy.calendars import exchange_sessions  # noqa: E402
from eventstudy.prices.bundled import safe_name  # noqa: E402

START = pd.Timestamp("2020-01-01")
OUT = ROOT / "eventstudy" / "data"

# local file -> (upstream repository, path in repository, snapshot commit), from PROVENANCE.md
UPSTREAM = {
    "xunxuntj__US_Stock_Trading_Signal_Dashboard/SPY.csv": (
        "xunxuntj/US_Stock_Trading_Signal_Dashboard", "data/SPY.csv", "fdbe1607ccca155dff9172c5dba5ee06be22cae9",
    ),
    "xunxuntj__US_Stock_Trading_Signal_Dashboard/QQQ.csv": (
        "xunxuntj/US_Stock_Trading_Signal_Dashboard", "data/QQQ.csv", "fdbe1607ccca155dff9172c5dba5ee06be22cae9",
    ),
    "ShresthTiwari823__QuantEdge-AI/GSPC.csv": (
        "ShresthTiwari823/QuantEdge-AI", "data/GSPC.csv", "d96a919a98c057ec9f8a09e1e5a833ba5076d222",
    ),
    "alitalbi__storage_data_fy/^DJI.csv": (
        "alitalbi/storage_data_fy", "^DJI.csv", "941406838f8b8a613f95450e8df70f806c1de58a",
    ),
    "ShresthTiwari823__QuantEdge-AI/IXIC.csv": (
        "ShresthTiwari823/QuantEdge-AI", "data/IXIC.csv", "d96a919a98c057ec9f8a09e1e5a833ba5076d222",
    ),
    "libelolen57-dotcom__j-titan/N225.csv": (
        "libelolen57-dotcom/j-titan", "data/N225.csv", "a050d86420d764d7f4b92b87941cb5d37ba6396f",
    ),
    "onekindalpha__breadth-analysis-dashboard/kospi_index.csv": (
        "onekindalpha/breadth-analysis-dashboard", "data/kospi_index.csv", "9c0fee8ae515aa610f15bdd2cbaf8b760645beca",
    ),
    "ShresthTiwari823__QuantEdge-AI/HSI.csv": (
        "ShresthTiwari823/QuantEdge-AI", "data/HSI.csv", "d96a919a98c057ec9f8a09e1e5a833ba5076d222",
    ),
    "Allanli1011__chan-theory/000001.SS.csv": (
        "Allanli1011/chan-theory", "data/000001.SS.csv", "0a305a682b0ce360f6d6a1a91a71951f04ec8ec9",
    ),
    "rguico09__Stock-Predictor/ES=F.csv": (
        "rguico09/Stock-Predictor", "data/raw/ES=F.csv", "50e5ef0b00808e6268e0e7dbe355cb56da4bfbf4",
    ),
    "rguico09__Stock-Predictor/NQ=F.csv": (
        "rguico09/Stock-Predictor", "data/raw/NQ=F.csv", "50e5ef0b00808e6268e0e7dbe355cb56da4bfbf4",
    ),
    "alitalbi__storage_data_fy/YM=F.csv": (
        "alitalbi/storage_data_fy", "YM=F.csv", "941406838f8b8a613f95450e8df70f806c1de58a",
    ),
    "alitalbi__storage_data_fy/ACWI.csv": (
        "alitalbi/storage_data_fy", "ACWI.csv", "941406838f8b8a613f95450e8df70f806c1de58a",
    ),
    "alitalbi__storage_data_fy/VT.csv": (
        "alitalbi/storage_data_fy", "VT.csv", "941406838f8b8a613f95450e8df70f806c1de58a",
    ),
    "alitalbi__storage_data_fy/CNY=X.csv": (
        "alitalbi/storage_data_fy", "CNY=X.csv", "941406838f8b8a613f95450e8df70f806c1de58a",
    ),
    "hyunjafan-creator__commodity_dashboard/soybean.csv": (
        "hyunjafan-creator/commodity_dashboard", "data/soybean.csv", "9ad9e0425919ab0c78bb422b337066810f011d58",
    ),
    "yassineuav__live-signal-detector/SPY_1h.csv": (
        "yassineuav/live-signal-detector", "data/SPY_1h.csv", "dd5c0c3c45c04935407eca661dd8e78630d99811",
    ),
    "yassineuav__live-signal-detector/QQQ_1h.csv": (
        "yassineuav/live-signal-detector", "data/QQQ_1h.csv", "dd5c0c3c45c04935407eca661dd8e78630d99811",
    ),
    "QuoTradingbot__simple-bot/ES_1min.csv": (
        "QuoTradingbot/simple-bot", "data/historical_data/ES_1min.csv", "65d679832cd7397757dfa05e5c7f165fff04f298",
    ),
    "QuoTradingbot__simple-bot/ES_15min.csv": (
        "QuoTradingbot/simple-bot", "data/historical_data/ES_15min.csv", "cbe064095e66b455bcd1ca12a0e4835ed18d9484",
    ),
    # excerpts (rows copied verbatim) of the upstream files, which are too large to copy whole
    "Wat-Street__money-making/SPXL_1min_excerpt_2025-05-06.csv": (
        "Wat-Street/money-making", "projects/harv-extension/code/Datasets/raw/SPXL_1min_2023-07-10_to_2025-07-07.csv",
        "b714693c8ec70bb52922fe78e8774919fd7832ee",
    ),
    "Wat-Street__money-making/XLK_1min_excerpt_2025-05-06.csv": (
        "Wat-Street/money-making", "projects/harv-extension/code/Datasets/raw/XLK_1min_2023-07-10_to_2025-07-07.csv",
        "b714693c8ec70bb52922fe78e8774919fd7832ee",
    ),
}

# ticker -> (file, reader kind)
DAILY = {
    "SPY": ("xunxuntj__US_Stock_Trading_Signal_Dashboard/SPY.csv", "yf_dividends"),
    "QQQ": ("xunxuntj__US_Stock_Trading_Signal_Dashboard/QQQ.csv", "yf_dividends"),
    "^GSPC": ("ShresthTiwari823__QuantEdge-AI/GSPC.csv", "yf_multiheader"),
    "^DJI": ("alitalbi__storage_data_fy/^DJI.csv", "yf_plain"),
    "^IXIC": ("ShresthTiwari823__QuantEdge-AI/IXIC.csv", "yf_multiheader"),
    "^N225": ("libelolen57-dotcom__j-titan/N225.csv", "yf_plain"),
    "^KS11": ("onekindalpha__breadth-analysis-dashboard/kospi_index.csv", "ymd"),
    "^HSI": ("ShresthTiwari823__QuantEdge-AI/HSI.csv", "yf_multiheader"),
    "000001.SS": ("Allanli1011__chan-theory/000001.SS.csv", "lower"),
    "ES=F": ("rguico09__Stock-Predictor/ES=F.csv", "yf_tickerline"),
    "NQ=F": ("rguico09__Stock-Predictor/NQ=F.csv", "yf_tickerline"),
    "YM=F": ("alitalbi__storage_data_fy/YM=F.csv", "yf_plain"),
    "ACWI": ("alitalbi__storage_data_fy/ACWI.csv", "yf_adjusted_only"),
    "VT": ("alitalbi__storage_data_fy/VT.csv", "yf_adjusted_only"),
    "CNY=X": ("alitalbi__storage_data_fy/CNY=X.csv", "yf_plain"),
    "ZS=F": ("hyunjafan-creator__commodity_dashboard/soybean.csv", "lower"),
}

# Where a source has no volume at all, and why (the daily file's volume column is then empty).
NO_VOLUME = {
    "^KS11": "none: the source file (FinanceDataReader KS11) has no volume column",
    "ZS=F": "none: the source file has no volume column (open, high, low, close only)",
    "CNY=X": "none: Yahoo writes Volume 0 on every FX row (currencies trade over the counter; no volume is reported)",
}
VOLUME_FAR = 100.0
"""A volume more than this factor above or below the median of the 21 surrounding rows is a data error."""

# Calendar sessions a file lacks for a known, checked reason (anything else is reported as a gap too).
KNOWN_CLOSURES = {
    ("^HSI", "2023-09-01"): "HKEX closed all day: typhoon Saola signal 8 (not in exchange_calendars)",
    ("^HSI", "2023-09-08"): "HKEX closed all day: black rainstorm warning (not in exchange_calendars)",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_daily(path: Path, kind: str) -> tuple[pd.DataFrame, str]:
    """Return (frame with date, close, adj_close, volume; raw-close note); volume NaN where the file has none."""
    if kind == "yf_multiheader":  # Price,Close,... / Ticker,... / Date,,,
        df = pd.read_csv(path, skiprows=[1, 2]).rename(columns={"Price": "Date"})
    elif kind == "yf_tickerline":  # Date,Close,... / ,ES=F,...
        df = pd.read_csv(path, skiprows=[1])
    elif kind == "ymd":
        df = pd.read_csv(path, dtype={"date": str})
        df = df.rename(columns={"date": "Date", "close": "Close"})
        df["Date"] = pd.to_datetime(df["Date"], format="%Y%m%d")
    elif kind == "lower":
        df = pd.read_csv(path).rename(columns={"date": "Date", "close": "Close"})
    else:  # yf_plain, yf_dividends, yf_adjusted_only
        df = pd.read_csv(path)
    dates = pd.to_datetime(df["Date"].astype(str).str[:10], format="%Y-%m-%d")
    out = pd.DataFrame({"date": dates, "adj_close": df["Close"].astype(float)})
    vol = [c for c in df.columns if c.lower() == "volume"]
    out["volume"] = df[vol[0]].astype(float).to_numpy() if vol else np.nan
    if kind == "yf_dividends":
        out["dividend"] = df["Dividends"].astype(float).to_numpy()
        note = "rebuilt from the Dividends column (Yahoo factor 1 - D/previous raw close, applied backwards)"
        out["close"] = np.nan  # filled after cutting to sessions
    elif kind == "yf_adjusted_only":
        out["close"] = np.nan
        note = "not available: the source holds dividend-adjusted closes only"
    else:
        out["close"] = out["adj_close"]
        note = "same as adj_close (no distributions: index, future, FX or commodity)"
    return out, note


def rebuild_raw(adj: np.ndarray, div: np.ndarray) -> np.ndarray:
    """Raw closes from Yahoo-adjusted closes and cash dividends (ex-date rows carry D).

    Yahoo multiplies every close before an ex-date e by (1 - D_e / raw_{e-1}). Walking backwards
    with F = product of the factors of later ex-dates: raw_{e-1} = adj_{e-1}/F + D_e, then
    F *= 1 - D_e / raw_{e-1}.
    """
    raw = np.empty_like(adj)
    f = 1.0
    for t in range(len(adj) - 1, -1, -1):
        raw[t] = adj[t] / f
        if div[t] > 0 and t > 0:
            prev_raw = adj[t - 1] / f + div[t]
            f *= 1.0 - div[t] / prev_raw
    return raw


def clean_volume(ticker: str, dates: pd.Series, volume: np.ndarray) -> tuple[pd.Series, list[dict]]:
    """The shipped volume (nullable integers) and the dates left empty with the reason.

    Empty, never filled: every row of a ticker in :data:`NO_VOLUME`; a 0 (Yahoo writes 0 where it
    has no volume: futures on holiday-shortened sessions, one ^GSPC day); a value more than
    :data:`VOLUME_FAR` times above or below the median of the 21 surrounding rows (000001.SS
    2022-04-28 shows 100 and 2026-06-02 4.1 billion against ~400 thousand; YM=F 2025-08-11 a
    partial-day 426 contracts).
    """
    v = pd.Series(volume, dtype=float).reset_index(drop=True)
    when = dates.dt.strftime("%Y-%m-%d").reset_index(drop=True)
    if ticker in NO_VOLUME:
        return pd.Series(pd.NA, index=v.index, dtype="Int64"), []
    missing = []
    zero = v.eq(0) | v.isna()
    for d in when[zero]:
        missing.append({"date": d, "reason": "Volume 0 or empty in the source (not reported)"})
    v = v.mask(zero)
    med = v.rolling(21, center=True, min_periods=5).median()
    far = (np.abs(np.log10(v / med)) > np.log10(VOLUME_FAR)).fillna(False)
    for d, x, m in zip(when[far], v[far], med[far]):
        missing.append({"date": d, "reason": f"Volume {x:.0f} is {max(x / m, m / x):,.0f} times "
                                             f"{'above' if x > m else 'below'} the median of the 21 surrounding "
                                             "rows: a data error in the source"})
    v = v.mask(far)
    return v.round().astype("Int64"), sorted(missing, key=lambda r: r["date"])


def build_daily(raw_dir: Path) -> dict:
    meta = {}
    (OUT / "daily").mkdir(parents=True, exist_ok=True)
    for ticker, (rel, kind) in DAILY.items():
        path = raw_dir / rel
        df, raw_note = read_daily(path, kind)
        rows_in_file = len(df)
        if df["date"].duplicated().any():
            raise SystemExit(f"{rel}: duplicate dates")
        df = df.sort_values("date")
        # rebuild raw closes on the full file (dividends before 2020 do not matter: they only scale earlier rows)
        if kind == "yf_dividends":
            df["close"] = rebuild_raw(df["adj_close"].to_numpy(), df["dividend"].to_numpy())
        df = df[df["date"] >= START]
        table = exchange_sessions(REGISTRY[ticker].calendar)
        sessions = set(table.sessions)
        is_session = df["date"].isin(sessions)
        removed = [
            {"date": f"{d:%Y-%m-%d}",
             "reason": "weekend" if d.day_of_week >= 5 else f"not a {table.calendar} session (holiday)"}
            for d in df.loc[~is_session, "date"]
        ]
        df = df[is_session]
        lo, hi = df["date"].iloc[0], df["date"].iloc[-1]
        expected = table.in_range(lo, hi)
        gaps = [
            {"date": f"{d:%Y-%m-%d}",
             "reason": KNOWN_CLOSURES.get((ticker, f"{d:%Y-%m-%d}"), "session in calendar, no row in source")}
            for d in expected.difference(pd.DatetimeIndex(df["date"]))
        ]
        if df[["adj_close"]].isna().any().any():
            raise SystemExit(f"{ticker}: NaN close in {rel}")
        volume, volume_missing = clean_volume(ticker, df["date"], df["volume"].to_numpy())
        out = df[["date", "close", "adj_close"]].copy()
        out["volume"] = volume.array  # by position: out keeps the source rows' index
        out["date"] = out["date"].dt.strftime("%Y-%m-%d")
        if kind == "yf_dividends":
            out["close"] = out["close"].round(2)  # Yahoo raw ETF closes are quoted in cents
        out.to_csv(OUT / "daily" / f"{safe_name(ticker)}.csv", index=False, float_format="%.10g")
        repo, upath, commit = UPSTREAM[rel]
        meta[ticker] = {
            "file": f"daily/{safe_name(ticker)}.csv",
            "source_file": rel, "upstream_repo": repo, "upstream_path": upath, "upstream_commit": commit,
            "source_sha256": sha256(path), "rows_in_source": rows_in_file, "rows": len(out),
            "first": out["date"].iloc[0], "last": out["date"].iloc[-1], "calendar": table.calendar,
            "raw_close": raw_note, "removed_rows": removed, "sessions_without_price": gaps,
            "volume": NO_VOLUME.get(ticker, "from the source's Volume column (shares, index units or contracts, "
                                            "as the source reports them)"),
            "volume_missing": volume_missing,
        }
        print(f"{ticker:10s} {len(out):5d} rows {meta[ticker]['first']}..{meta[ticker]['last']}  "
              f"removed {len(removed)}  gaps {len(gaps)}  volume missing "
              f"{len(out) if ticker in NO_VOLUME else len(volume_missing)}")
    return meta


INTRADAY_NOTES = {
    "SPY": "regular session only, raw (unadjusted) prices",
    "QQQ": "regular session only, raw (unadjusted) prices",
    "ES=F": ("ES 1-minute/15-minute bars of the Dec-2025 contract (ESZ5) from an unknown vendor; "
             "before the 2025-09-19 roll they sit ~0.85 % above Yahoo ES=F (Sep contract)"),
    "SPXL": ("an excerpt: every row of 2025-05-06 19:50-23:59 UTC, then the first row of 2025-05-07 (08:00 UTC); "
             "extended hours included, one row per minute WITH TRADES only (after-hours minutes are sparse; never "
             "filled); raw prices of a 3x daily-reset leveraged ETF, bundled as a proxy for the S&P 500 futures "
             "on the evening of the Geneva announcement (no futures bars of May 2025 were found)"),
    "XLK": ("an excerpt: every row of 2025-05-06 19:50 to 2025-05-07 09:33 UTC, then 13:25-13:32 UTC (the "
            "upstream rows 10:32-13:23 UTC are left out of the excerpt); extended hours included, one row per "
            "minute WITH TRADES only (sparse after hours; never filled); raw prices of a technology sector ETF, "
            "bundled as a loose proxy for the Nasdaq-100 futures on the evening of 2025-05-06"),
}


def build_intraday(raw_dir: Path) -> dict:
    meta = {}
    (OUT / "intraday").mkdir(parents=True, exist_ok=True)
    specs = {
        # name: (file, ticker, interval, how the timestamps are written)
        "SPY_1h": ("yassineuav__live-signal-detector/SPY_1h.csv", "SPY", "1h", "utc"),
        "QQQ_1h": ("yassineuav__live-signal-detector/QQQ_1h.csv", "QQQ", "1h", "utc"),
        "ES_1m": ("QuoTradingbot__simple-bot/ES_1min.csv", "ES=F", "1m", "et_plus_5h"),
        "ES_15m": ("QuoTradingbot__simple-bot/ES_15min.csv", "ES=F", "15m", "et_plus_5h"),
        "SPXL_1m": ("Wat-Street__money-making/SPXL_1min_excerpt_2025-05-06.csv", "SPXL", "1m", "utc_naive"),
        "XLK_1m": ("Wat-Street__money-making/XLK_1min_excerpt_2025-05-06.csv", "XLK", "1m", "utc_naive"),
    }
    for name, (rel, ticker, interval, stamp) in specs.items():
        path = raw_dir / rel
        df = pd.read_csv(path)
        if stamp == "utc":
            t = pd.to_datetime(df["timestamp"], utc=True)
            how = "timestamps carry +00:00 in the source (UTC bar starts)"
        elif stamp == "utc_naive":
            t = pd.to_datetime(df["timestamp"], format="%Y-%m-%d %H:%M:%S").dt.tz_localize("UTC")
            how = ("naive in the source = UTC bar starts (the regular session 13:30-19:59 shows there, with its "
                   "opening and closing volume spikes); localized to UTC, not shifted")
        else:
            wall = pd.to_datetime(df["timestamp"]) - pd.Timedelta(hours=5)
            t = wall.dt.tz_localize("America/New_York", ambiguous="raise", nonexistent="raise").dt.tz_convert("UTC")
            how = ("naive in the source = US/Eastern wall clock + 5 h all year; converted: minus 5 h, localized to "
                   "America/New_York, to UTC")
        out = pd.DataFrame({"time": t.dt.strftime("%Y-%m-%dT%H:%M:%SZ")})
        for c in ("open", "high", "low", "close", "volume"):
            out[c] = df[c]
        if out["time"].duplicated().any():
            raise SystemExit(f"{rel}: duplicate bar times")
        target = OUT / "intraday" / f"{name}.csv.gz"
        with gzip.GzipFile(target, "wb", mtime=0) as fh:  # mtime=0: byte-identical rebuilds
            fh.write(out.to_csv(index=False, float_format="%.10g").encode())
        repo, upath, commit = UPSTREAM[rel]
        meta[name] = {
            "file": f"intraday/{name}.csv.gz", "ticker": ticker, "interval": interval,
            "source_file": rel, "upstream_repo": repo, "upstream_path": upath, "upstream_commit": commit,
            "source_sha256": sha256(path), "rows": len(out), "first": out["time"].iloc[0], "last": out["time"].iloc[-1],
            "time_zone_handling": how,
            "notes": INTRADAY_NOTES[ticker],
        }
        print(f"{name:10s} {len(out):6d} bars {out['time'].iloc[0]}..{out['time'].iloc[-1]}")
    return meta


def main(argv: list[str]) -> None:
    raw_dir = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data" / "raw"
    if not raw_dir.is_dir():
        raise SystemExit(f"raw data folder {raw_dir} not found; pass it as the first argument")
    meta = {
        "description": "Real daily and intraday prices curated from public GitHub repositories; see PROVENANCE.md",
        "built_by": "scripts/build_snapshot.py",
        "start": f"{START:%Y-%m-%d}",
        "daily": build_daily(raw_dir),
        "intraday": build_intraday(raw_dir),
    }
    (OUT / "snapshot.json").write_text(json.dumps(meta, indent=1) + "\n")
    shutil.copyfile(ROOT / "events.csv", OUT / "events.csv")
    shutil.copyfile(ROOT / "claims.csv", OUT / "claims.csv")
    print(f"wrote {OUT / 'snapshot.json'} and copied events.csv and claims.csv into the package")


if __name__ == "__main__":
    main(sys.argv)
