"""``eventstudy claims --source yahoo`` when Yahoo Finance cannot be reached (issue 13).

No test touches the network. ``yfinance.download`` (what the adapter calls) is replaced by a fake
that behaves as yfinance 1.7.0 does offline: it logs, on the ``yfinance`` logger, the lines the
real one logged on a machine without DNS (``OFFLINE_LOG``, copied from a real run; the real
library replaying them is checked in tests/test_yahoo.py), raises the pandas deprecation warning
its ``multi.py`` triggers, and returns the empty frame of tests/data/yfinance/empty_1d.csv. For
reachable tickers it returns the bundled daily closes in the shape of a recorded ``yf.download``
frame (tests/test_yahoo.py ``load_recorded`` describes that shape).

Decision tested here: when any ticker cannot be fetched the command checks nothing, writes nothing
(an existing claims_check.csv stays byte for byte), prints one line per such ticker on stderr and
exits with status 2, also when other tickers were fetched or read from the cache.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_yahoo import load_recorded

from eventstudy import BundledSource
from eventstudy.claims import check_claims
from eventstudy.cli import main
from eventstudy.errors import PriceFetchError, PriceSourceError
from eventstudy.examples import us_china

yf = pytest.importorskip("yfinance")

CURL = ("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
        "See https://curl.se/libcurl/c/libcurl-errors.html first for more details.")
OFFLINE_LOG = [  # what yfinance 1.7.0 logged for one ticker on a machine without DNS
    "Cookie/crumb fetch failed (DNSError), continuing without crumb",
    "Failed to get ticker '{t}' reason: " + CURL,
    "Cookie/crumb fetch failed (DNSError), continuing without crumb",
    "\n1 Failed download:",
    "['{t}']: DNSError('" + CURL + "')",
]
NOISE = ("Failed download", "DNSError(", "crumb", "possibly delisted", "Warning", "curl", "inplace")
CLAIM_TICKERS = ["^DJI", "^GSPC", "^IXIC", "SPY", "QQQ", "YM=F", "ES=F", "NQ=F", "^N225", "^KS11", "^HSI"]
PROXY_TICKERS = ["SPXL", "XLK"]  # the claims' proxies: asked only when an instrument was reached and lacks bars


def yf_daily_frame(ticker: str) -> pd.DataFrame:
    """The bundled closes of ``ticker`` as ``yf.download`` returns a daily frame (see test_yahoo)."""
    d = BundledSource().daily([ticker])
    cols = pd.MultiIndex.from_product([["Adj Close", "Close", "High", "Low", "Open", "Volume"], [ticker]],
                                      names=["Price", "Ticker"])
    close, adj = d["close"].to_numpy(), d["adj_close"].to_numpy()
    frame = pd.DataFrame(dict(zip(cols, [adj, close, close, close, close, [0] * len(d)], strict=True)),
                         index=pd.DatetimeIndex(d["date"], name="Date").astype("datetime64[s]"))
    return frame.astype({("Volume", ticker): "int64"})


class FakeYahoo:
    """Stands in for ``yfinance.download``: daily frames of ``reachable`` tickers, for the others
    what offline yfinance does (log, warn, empty frame). Intraday requests of reachable tickers get
    an empty frame without complaint (no bars in the bundled data to serve)."""

    def __init__(self, reachable: set[str] = frozenset()) -> None:
        self.reachable = set(reachable)
        self.calls: list[str] = []

    def __call__(self, tickers: Any, **kwargs: Any) -> pd.DataFrame:
        ticker = str(tickers).upper()
        self.calls.append(ticker)
        if ticker in self.reachable:
            if kwargs["interval"] != "1d":
                return load_recorded("empty_1d.csv")
            frame = yf_daily_frame(ticker)
            start, end = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
            return frame[(frame.index >= start) & (frame.index < end)]
        logger = logging.getLogger("yfinance")
        for line in OFFLINE_LOG:
            logger.error(line.format(t=ticker))
        warnings.warn("The inplace keyword in DataFrame.rename is deprecated", DeprecationWarning, stacklevel=2)
        return load_recorded("empty_1d.csv")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeYahoo:
    f = FakeYahoo()
    monkeypatch.setattr(yf, "download", f)
    return f


def claims(capfd: pytest.CaptureFixture[str], tmp_path: Path, out: Path) -> tuple[int, str, str]:
    code = main(["claims", "--source", "yahoo", "--cache-dir", str(tmp_path / "cache"), "--out", str(out)])
    got, err = capfd.readouterr()
    return code, got, err


def test_offline_exits_nonzero_one_line_per_ticker_and_keeps_the_old_file(fake, capfd, tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    old = out / "claims_check.csv"
    old.write_bytes(b"claim_id,verdict\r\ns000-dji-ytd,reproduced\r\n")  # an earlier online run's answer
    before = old.read_bytes()
    code, stdout, err = claims(capfd, tmp_path, out)
    assert code == 2 and stdout == ""
    assert old.read_bytes() == before and sorted(p.name for p in out.iterdir()) == ["claims_check.csv"]
    lines = err.splitlines()
    failed = [line for line in lines if "could not fetch" in line]
    assert len(failed) == len(CLAIM_TICKERS) == len(lines) - 1
    for ticker, line in zip(CLAIM_TICKERS, failed, strict=True):
        assert line.startswith(f"eventstudy claims: error: could not fetch {ticker} from Yahoo Finance "
                               "(cannot resolve query2.finance.yahoo.com")
        assert "check the network connection" in line and "--source bundled" in line
    assert lines[-1] == (f"eventstudy claims: {len(CLAIM_TICKERS)} of {len(CLAIM_TICKERS)} instruments could not be "
                         f"fetched; no claims checked, {old} left as it was")
    assert not [n for n in NOISE if n in err], err
    assert sorted(set(fake.calls)) == sorted(CLAIM_TICKERS)  # every ticker tried once
    assert len(fake.calls) == len(CLAIM_TICKERS)  # and not asked again for its second claim or its bars
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.csv"))


def test_offline_writes_nothing_when_there_was_no_file(fake, capfd, tmp_path):
    code, _, err = claims(capfd, tmp_path, tmp_path / "new")
    assert code == 2 and not (tmp_path / "new").exists()
    assert err.splitlines()[-1].endswith(f"{tmp_path / 'new' / 'claims_check.csv'} not written")


def test_partly_reachable_is_the_same_failure_naming_only_the_missing_tickers(fake, capfd, tmp_path):
    fake.reachable = {"SPY", "QQQ", "^DJI"}
    out = tmp_path / "results"
    out.mkdir()
    (out / "claims_check.csv").write_text("earlier\n")
    code, stdout, err = claims(capfd, tmp_path, out)
    missing = [t for t in CLAIM_TICKERS if t not in fake.reachable]
    assert code == 2 and stdout == ""
    assert [line.split()[6] for line in err.splitlines()[:-1]] == missing
    assert f"{len(missing)} of {len(CLAIM_TICKERS)} instruments could not be fetched" in err
    assert (out / "claims_check.csv").read_text() == "earlier\n"
    assert not [n for n in NOISE if n in err], err
    cached = sorted(p.name.split("__")[0] for p in (tmp_path / "cache" / "1d").glob("*.csv"))
    assert cached == ["QQQ", "SPY", "^DJI"]  # kept: the rerun after reconnecting fetches only the others

    fake.reachable = set(CLAIM_TICKERS + PROXY_TICKERS)  # back online
    fake.calls.clear()
    code, stdout, err = claims(capfd, tmp_path, out)
    assert code == 0, err
    assert {"QQQ", "SPY", "^DJI"}.isdisjoint(fake.calls)  # read from the cache
    assert len(pd.read_csv(out / "claims_check.csv")) == 13


def test_reachable_yahoo_reproduces_what_the_bundled_prices_reproduce(fake, capfd, tmp_path):
    fake.reachable = set(CLAIM_TICKERS + PROXY_TICKERS)
    code, stdout, err = claims(capfd, tmp_path, tmp_path / "results")
    assert code == 0, err
    via_yahoo = pd.read_csv(tmp_path / "results" / "claims_check.csv")
    bundled = check_claims(us_china.claims_path())
    reproduced = bundled.loc[bundled["verdict"] == "reproduced", "claim_id"].tolist()
    assert len(reproduced) == 7
    assert via_yahoo.set_index("claim_id").loc[reproduced, "verdict"].eq("reproduced").all()
    assert "7 reproduced" in stdout


class Unreachable:
    """A price source that cannot reach its server for some tickers."""

    name = "remote"

    def __init__(self, down: set[str]) -> None:
        self.down, self.asked = down, []

    def daily(self, tickers, start=None, end=None):
        (ticker,) = tickers
        self.asked.append(ticker)
        if ticker in self.down:
            raise PriceFetchError(f"could not fetch {ticker!r}", {ticker: "connection refused"})
        return BundledSource().daily(tickers, start, end)

    def intraday(self, ticker, start, end, interval="1m"):
        self.asked.append(ticker)
        if ticker in self.down:
            raise PriceFetchError(f"could not fetch {ticker!r}", {ticker: "connection refused"})
        raise PriceSourceError("no bars here")


def test_check_claims_marks_or_raises_on_unreachable_tickers():
    src = Unreachable({"SPY", "ES=F"})
    res = check_claims(us_china.claims_path(), src)
    spy = res[res["instrument"].isin(["SPY", "ES=F"])]
    assert (spy["verdict"] == "needs-data").all()
    why = "could not be fetched from the remote source (connection refused)"
    assert spy["detail"].str.contains(why, regex=False).all()
    assert src.asked.count("SPY") == 1 and src.asked.count("ES=F") == 1  # asked once per check
    with pytest.raises(PriceFetchError) as err:
        check_claims(us_china.claims_path(), Unreachable({"SPY", "ES=F"}), on_fetch_error="raise")
    assert err.value.failures == {"SPY": "connection refused", "ES=F": "connection refused"}
    assert str(err.value).splitlines() == ["could not fetch SPY from the remote source (connection refused)",
                                           "could not fetch ES=F from the remote source (connection refused)"]
