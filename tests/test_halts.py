"""Intraday windows across market closures (eventstudy.halts): which windows cross a halt, which
closure it is, a missing bar inside a session is a gap and not a halt, and what each
``across_halts`` choice does, through the API and ``eventstudy run --interval``.

The answers are written by hand from the CME Globex calendar (trade date D: 18:00 ET the evening
before to 17:00 ET on D; Friday 17:00 to Sunday 18:00 shut) and the bundled ES=F minute bars as the
raw file holds them (``zcat eventstudy/data/intraday/ES_1m.csv.gz``):

===================================  ==========================  ============  =======================
event (ET)                           bar 0 (bar start, UTC)      bar after     the last bar before
                                                                 the closure   the closure (UTC start)
===================================  ==========================  ============  =======================
Fri 2025-10-10 16:50 (100 % tariff)  20:50 (ends 20:51)          Sun 22:00     21:00 (a vendor bar
                                                                 = tau 11      stamped 17:00 ET) =
                                                                               tau 10; 20:59 = tau 9
Tue 2025-10-14 16:55 (test instant)  20:55 (ends 20:56)          22:00 = tau 5 20:59 = tau 4
Sun 2025-10-26 11:00 MYT (KL)        Sun 22:00 (ends 22:01)      bar 0 itself  Fri 21:00
Mon 2025-11-10 21:58 EST (test)      02:58 (ends 02:59)          --            the file has no bars
                                                                               03:00-03:59 Z (22:00-
                                                                               22:59 EST, Globex open)
===================================  ==========================  ============  =======================
"""

from __future__ import annotations

import gzip
import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.cli import main
from eventstudy.halts import bar_gaps, market_closures
from eventstudy.intraday import intraday_study

WEEKEND_1010 = "weekend 2025-10-10T17:00-04:00/2025-10-12T18:00-04:00"
WEEKEND_1024 = "weekend 2025-10-24T17:00-04:00/2025-10-26T18:00-04:00"
BREAK_1014 = "daily break 2025-10-14T17:00-04:00/2025-10-14T18:00-04:00"


@pytest.fixture(scope="module")
def es1m():
    return es.BundledSource().intraday("ES=F", "2025-09-01T00:00:00Z", "2025-11-14T00:00:00Z", "1m")


def catalog(rows):
    return es.load_events(frame=pd.DataFrame(rows, columns=["event_id", "timestamp", "time_precision"]))


def raw_close(stamp: str) -> float:
    """Close of one bar read straight from the bundled ES minute file (not through the package)."""
    path = resources.files("eventstudy") / "data" / "intraday" / "ES_1m.csv.gz"
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith(stamp):
                return float(line.split(",")[4])
    raise AssertionError(stamp)


def test_tariff_post_window_crosses_the_weekend_and_names_it(es1m):
    ev = es.load_events()
    ev = ev[ev["event_id"].isin(["2025-10-10-trump-100pct-tariff", "2025-10-10-trump-hostile-post",
                                 "2025-10-26-kuala-lumpur-framework"])]
    res = intraday_study(ev, es1m, interval="1m", estimation=(-390, -11), windows=((0, 0), (0, 14)), n_boot=100)
    car = res.car.set_index(["event_id", "window"])
    tariff = "2025-10-10-trump-100pct-tariff"
    assert car.loc[(tariff, "0:0"), "day0"] == "2025-10-10T20:51:00Z"
    assert car.loc[(tariff, "0:0"), ["status", "halts"]].tolist() == ["ok", ""]
    assert car.loc[(tariff, "0:14"), "status"] == "crosses-halt on tau 11"
    assert car.loc[(tariff, "0:14"), "halts"] == WEEKEND_1010  # Friday 17:00 ET - Sunday 18:00 ET
    assert np.isfinite(car.loc[(tariff, "0:14"), "car"])  # flag: the numbers stay
    # the bars the table names: tau 10 the 17:00 ET vendor bar, tau 11 the reopen, whose return
    # runs from that bar's close over the weekend
    ar = res.abnormal_returns.query("event_id == @tariff and part == 'event'").set_index("tau")
    assert ar.loc[9, "date"] == pd.Timestamp("2025-10-10T21:00:00")
    assert ar.loc[10, "date"] == pd.Timestamp("2025-10-10T21:01:00")
    assert ar.loc[11, "date"] == pd.Timestamp("2025-10-12T22:01:00")
    assert ar.loc[11, "ret"] == pytest.approx(raw_close("2025-10-12T22:00:00Z") / raw_close("2025-10-10T21:00:00Z") - 1,
                                              abs=1e-14)
    # inside one session (Friday 10:57 ET, 0:14 runs to 11:12 ET): clean
    assert car.loc[("2025-10-10-trump-hostile-post", "0:14"), ["status", "halts"]].tolist() == ["ok", ""]
    # Kuala Lumpur (Sunday, market shut): bar 0 is the reopen bar, its return spans the weekend
    kl = "2025-10-26-kuala-lumpur-framework"
    for w in ("0:0", "0:14"):
        assert car.loc[(kl, w), ["status", "halts"]].tolist() == ["bar0-across-halt", WEEKEND_1024]
    assert res.options["across_halts"] == "flag"


def test_cme_daily_maintenance_break_is_a_halt(es1m):
    ev = catalog([("before-break", "2025-10-14T16:55:00-04:00", "exact"),
                  ("in-break", "2025-10-14T17:30:00-04:00", "exact"),
                  ("mid-session", "2025-10-14T11:00:30-04:00", "exact")])
    res = intraday_study(ev, es1m, interval="1m", estimation=(-390, -11), windows=((0, 4), (0, 14)), n_boot=100)
    car = res.car.set_index(["event_id", "window"])
    assert car.loc[("before-break", "0:4"), ["status", "halts"]].tolist() == ["ok", ""]  # taus 0-4 end by 17:00
    assert car.loc[("before-break", "0:14"), ["status", "halts"]].tolist() == ["crosses-halt on tau 5", BREAK_1014]
    assert car.loc[("in-break", "0:4"), "day0"] == "2025-10-14T22:01:00Z"
    assert car.loc[("in-break", "0:4"), ["status", "halts"]].tolist() == ["bar0-across-halt", BREAK_1014]
    assert car.loc[("mid-session", "0:14"), ["status", "halts"]].tolist() == ["ok", ""]


def test_calendar_closures_by_hand():
    """The closures of the CME calendar and of Tokyo, written from the exchanges' hours."""
    def starting(closures, lo, hi):
        at = (closures.starts >= pd.Timestamp(lo).value) & (closures.starts < pd.Timestamp(hi).value)
        return [closures.describe(j) for j in np.flatnonzero(at)]

    cme = market_closures("ES=F")
    near = starting(cme, "2025-10-09T00:00Z", "2025-10-15T00:00Z")
    assert near == ["daily break 2025-10-09T17:00-04:00/2025-10-09T18:00-04:00", WEEKEND_1010,
                    "daily break 2025-10-13T17:00-04:00/2025-10-13T18:00-04:00", BREAK_1014]
    labor = starting(cme, "2025-08-29T21:00Z", "2025-08-29T21:01Z")
    assert labor == ["holiday 2025-08-29T17:00-04:00/2025-09-01T18:00-04:00"]  # Labor Day: trade date 09-02
    day = starting(market_closures("^N225"), "2025-10-27T00:00Z", "2025-10-28T00:00Z")
    assert day == ["lunch break 2025-10-27T11:30+09:00/2025-10-27T12:30+09:00",
                   "overnight 2025-10-27T15:30+09:00/2025-10-28T09:00+09:00"]
    assert market_closures("NOT-REGISTERED") is None


def spy_minutes(drop: str | None = None) -> pd.DataFrame:
    """Synthetic SPY minute bars over NYSE sessions 2025-10-06 ... 2025-10-09, 09:30-15:59 ET
    (the NYSE calendar is the truth here), optionally without the bar starting at ``drop``."""
    days = pd.bdate_range("2025-10-06", "2025-10-09")
    starts = pd.DatetimeIndex(np.concatenate([
        pd.date_range(f"{d:%Y-%m-%d} 09:30", f"{d:%Y-%m-%d} 15:59", freq="1min", tz="America/New_York")
        for d in days]))
    if drop is not None:
        starts = starts[starts != pd.Timestamp(drop)]
    rng = np.random.default_rng(7)
    return pd.DataFrame({"ticker": "SPY", "time": starts,
                         "close": 670 * np.exp(np.cumsum(rng.normal(0, 3e-4, len(starts))))})


def test_a_missing_bar_inside_a_session_is_a_gap_not_a_halt():
    bars = spy_minutes(drop="2025-10-09T10:05:00-04:00")
    ev = catalog([("E", "2025-10-09T10:00:30-04:00", "exact")])
    res = intraday_study(ev, bars, interval="1m", estimation=(-1100, -431), windows=((0, 0), (0, 9), (-430, 0)),
                         n_boot=100)
    car = res.car.set_index("window")
    assert car.loc["0:0", "status"] == "ok"
    # bar 0 10:00-10:01, taus 1-4 10:01..10:04, no 10:05 bar: tau 5 (10:06-10:07) spans 10:05-10:06
    assert car.loc["0:9", "status"] == "gap on tau 5 (no bars 2025-10-09T14:05:00Z/2025-10-09T14:06:00Z)"
    assert car.loc["0:9", "halts"] == ""
    # a window reaching back two nights (390 bars a session, bar 0 the 31st of 10-09: tau -30 is the
    # first bar of 10-09, tau -420 the first of 10-08) crosses the NYSE's overnight closures
    assert car.loc["-430:0", "status"] == "crosses-halt on tau -420,-30"
    assert car.loc["-430:0", "halts"] == ("overnight 2025-10-07T16:00-04:00/2025-10-08T09:30-04:00; "
                                          "overnight 2025-10-08T16:00-04:00/2025-10-09T09:30-04:00")
    # the same bars without the gap: clean
    clean = intraday_study(ev, spy_minutes(), interval="1m", estimation=(-390, -11), windows=((0, 9),), n_boot=100)
    assert clean.car["status"].tolist() == ["ok"]


def test_real_gap_in_the_bundled_minute_bars(es1m):
    """The file has no ES bars 2025-11-11 03:00-03:59 Z (22:00-22:59 EST, Globex open)."""
    ev = catalog([("E", "2025-11-10T21:58:00-05:00", "exact")])
    bars = es1m[es1m["time"] >= pd.Timestamp("2025-11-07", tz="UTC")]
    res = intraday_study(ev, bars, interval="1m", estimation=(-390, -11), windows=((0, 4),), n_boot=100)
    assert res.car["status"].tolist() == ["gap on tau 2 (no bars 2025-11-11T03:00:00Z/2025-11-11T04:00:00Z)"]
    assert res.car["halts"].tolist() == [""]


def test_without_a_calendar_every_gap_is_reported_as_a_gap():
    bars = spy_minutes(drop="2025-10-09T10:05:00-04:00").assign(ticker="MYFUND")
    starts = pd.DatetimeIndex(bars["time"]).as_unit("ns").asi8
    g = bar_gaps(starts, starts + 60_000_000_000, 60_000_000_000, market_closures("MYFUND"))
    assert int(g.gap.sum()) == 4 and not g.halt.any()  # three nights and the missing minute
    ev = catalog([("E", "2025-10-09T09:59:30-04:00", "exact")])
    res = intraday_study(ev, bars, interval="1m", estimation=(-390, -11), windows=((0, 9),), n_boot=100)
    assert res.car["status"].iloc[0].startswith("gap on tau 6 (no bars 2025-10-09T14:05:00Z/2025-10-09T14:06:00Z; "
                                                "no exchange calendar")


def test_each_choice_through_the_api_and_bad_values(es1m):
    ev = catalog([("weekend-news", "2025-10-26T11:00:00+08:00", "exact"),
                  ("friday-close", "2025-10-10T16:50:00-04:00", "exact"),
                  ("in-session", "2025-10-14T11:00:30-04:00", "exact")])
    kw = dict(interval="1m", estimation=(-390, -11), windows=((0, 0), (0, 14)), n_boot=100)
    allow = intraday_study(ev, es1m, across_halts="allow", **kw).car.set_index(["event_id", "window"])
    assert (allow["status"] == "ok").all()
    assert allow.loc[("weekend-news", "0:0"), "halts"] == WEEKEND_1024
    with pytest.raises(es.SpecificationError, match="across_halts='skip'"):
        intraday_study(ev, es1m, across_halts="skip", **kw)
    with pytest.raises(es.DataError, match="is left"):
        intraday_study(ev[ev["event_id"] == "weekend-news"], es1m, across_halts="exclude-bar0", **kw)


def run_cli(tmp_path, events_csv, *extra):
    out = tmp_path / ("out" + "".join(x.strip("-") for x in extra))
    code = main(["run", "--interval", "1m", "--events", str(events_csv), "--window", "0:0", "--window", "0:14",
                 "--estimation=-390:-11", "--n-boot", "100", "--no-figures", "--no-pdf", "--out", str(out), *extra])
    assert code == 0
    car = pd.read_csv(out / "car.csv", keep_default_na=False).set_index(["event_id", "window"])
    return car, pd.read_csv(out / "exclusions.csv").set_index("event_id")["reason"]


@pytest.mark.parametrize("choice", [None, "flag", "allow", "exclude-bar0", "exclude"])
def test_each_across_halts_choice_through_the_cli(tmp_path, choice):
    events_csv = tmp_path / "events.csv"
    pd.DataFrame({"event_id": ["weekend-news", "friday-close", "in-session"],
                  "timestamp": ["2025-10-26T11:00:00+08:00", "2025-10-10T16:50:00-04:00", "2025-10-14T11:00:30-04:00"],
                  "time_precision": "exact"}).to_csv(events_csv, index=False)
    car, reasons = run_cli(tmp_path, events_csv, *(["--across-halts", choice] if choice else []))
    status = car["status"].to_dict()
    assert status[("in-session", "0:0")] == status[("in-session", "0:14")] == "ok"
    assert car.loc[("in-session", "0:14"), "halts"] == ""
    if choice in (None, "flag"):
        assert status[("weekend-news", "0:0")] == status[("weekend-news", "0:14")] == "bar0-across-halt"
        assert status[("friday-close", "0:0")] == "ok"
        assert status[("friday-close", "0:14")] == "crosses-halt on tau 11"
        assert car.loc[("friday-close", "0:14"), "halts"] == WEEKEND_1010
        assert reasons.empty
    elif choice == "allow":
        assert set(status.values()) == {"ok"}
        assert car.loc[("weekend-news", "0:0"), "halts"] == WEEKEND_1024
        assert car.loc[("friday-close", "0:14"), "halts"] == WEEKEND_1010
    elif choice == "exclude-bar0":  # the weekend news goes; the Friday window crossing later stays, flagged
        assert "weekend-news" not in car.index.get_level_values(0)
        assert WEEKEND_1024 in reasons["weekend-news"] and "exclude-bar0" in reasons["weekend-news"]
        assert status[("friday-close", "0:14")] == "crosses-halt on tau 11"
    else:  # exclude: every member whose windows cross a closure
        assert set(car.index.get_level_values(0)) == {"in-session"}
        assert WEEKEND_1010 in reasons["friday-close"] and "window 0:14" in reasons["friday-close"]
        assert WEEKEND_1024 in reasons["weekend-news"]


def test_cli_option_errors(tmp_path, capsys):
    assert main(["run", "--across-halts", "exclude", "--out", str(tmp_path / "x")]) == 2
    assert "pass --interval too" in capsys.readouterr().err
    assert main(["run", "--interval", "1m", "--prices", "p.csv", "--out", str(tmp_path / "x")]) == 2
    assert "--bars FILE or the bundled snapshot" in capsys.readouterr().err
    assert main(["run", "--interval", "5m", "--out", str(tmp_path / "x")]) == 2
    assert "has bars of 15m, 1h, 1m only" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse: not a choice
        main(["run", "--interval", "1m", "--across-halts", "sometimes", "--out", str(tmp_path / "y")])
    assert exc.value.code == 2


def test_cli_reads_bars_from_a_file(tmp_path):
    """--bars FILE: the synthetic SPY minutes with a missing 10:05 bar, written with UTC offsets."""
    bars = spy_minutes(drop="2025-10-09T10:05:00-04:00")
    bars.assign(time=bars["time"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")).to_csv(tmp_path / "bars.csv", index=False)
    pd.DataFrame({"event_id": ["E"], "timestamp": ["2025-10-09T10:00:30-04:00"],
                  "time_precision": ["exact"]}).to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "out"
    assert main(["run", "--interval", "1m", "--bars", str(tmp_path / "bars.csv"), "--events",
                 str(tmp_path / "events.csv"), "--window", "0:9", "--estimation=-390:-11", "--n-boot", "100",
                 "--no-figures", "--no-pdf", "--out", str(out)]) == 0
    car = pd.read_csv(out / "car.csv", keep_default_na=False)
    assert car["status"].tolist() == ["gap on tau 5 (no bars 2025-10-09T14:05:00Z/2025-10-09T14:06:00Z)"]
    assert "bars" in json.loads((out / "manifest.json").read_text())["inputs"]
