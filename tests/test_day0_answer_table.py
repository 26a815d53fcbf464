"""Day 0 per (event, market), pinned to an answer table written by hand from the exchanges'
published holiday calendars and trading hours (not from the code), cross-checked against the
dates present in the real bundled price files (a date with a real close is a session).

Facts used (2025):
- Tokyo closed Mon 05-05 (Children's Day) and Tue 05-06 (substitute holiday); Mon 10-13 (Sports
  Day); Mon 11-24 (substitute Labor Thanksgiving Day). Close 15:30 JST.
- Seoul closed 05-05 (Children's Day/Buddha's Birthday) and 05-06 (substitute); Chuseok and
  Hangul Day: 10-03 and 10-06..10-09; open Fri 10-10. Close 15:30 KST.
- Hong Kong closed 05-05 (Buddha's Birthday), 10-01 (National Day), 10-07 (day after
  Mid-Autumn), 10-29 (Chung Yeung). Close 16:00 HKT.
- Shanghai closed 05-01..05-05 (Labour Day) and 10-01..10-08 (National Day/Golden Week). Close 15:00.
- NYSE closed 01-09 (national day of mourning, President Carter), 11-27 (Thanksgiving). 16:00 ET.
- CME Globex equity futures: trade date D runs 18:00 ET on the previous business evening to
  17:00 ET on D; on 2025-01-09 they traded and closed at 09:30 ET.
"""

import numpy as np
import pandas as pd
import pytest

from eventstudy import align, load_events

T = "event_time"
# (event instant, {asset: expected day 0})
ANSWERS = [
    # Geneva talks announced Tuesday evening 2025-05-06 ET: US cash closed, Tokyo/Seoul on holiday.
    ("2025-05-06T20:00:00-04:00", {"SPY": "2025-05-07", "^GSPC": "2025-05-07", "^N225": "2025-05-07",
                                   "^KS11": "2025-05-07", "^HSI": "2025-05-07", "000001.SS": "2025-05-07",
                                   "ES=F": "2025-05-07", "YM=F": "2025-05-07"}),
    # Between the 16:00 cash close and the 17:00 futures close: the futures' daily price (the 16:00 ET
    # settlement, test_es_daily_close_is_the_1600_settlement) is already fixed: next trade date.
    ("2025-05-06T16:30:00-04:00", {"SPY": "2025-05-07", "ES=F": "2025-05-07", "^N225": "2025-05-07"}),
    ("2025-05-06T15:59:00-04:00", {"SPY": "2025-05-06", "ES=F": "2025-05-06"}),
    # Liberation Day, 16:15 ET, and the 100 % tariff post, Friday 16:50 ET: next trade date on futures.
    ("2025-04-02T16:15:00-04:00", {"SPY": "2025-04-03", "ES=F": "2025-04-03", "NQ=F": "2025-04-03"}),
    ("2025-10-10T16:50:00-04:00", {"SPY": "2025-10-13", "ES=F": "2025-10-13", "YM=F": "2025-10-13"}),
    # CBOT soybeans settle at 13:15 CT: an event at 13:17 CT (before the 13:20 close) is the next day's.
    ("2025-05-06T13:17:00-05:00", {"ZS=F": "2025-05-07"}),
    ("2025-05-06T13:14:00-05:00", {"ZS=F": "2025-05-06"}),
    # Sunday 2025-10-26 (Kuala Lumpur framework, afternoon in KL): Monday everywhere.
    ("2025-10-26T14:00:00+08:00", {"SPY": "2025-10-27", "^N225": "2025-10-27", "^KS11": "2025-10-27",
                                   "^HSI": "2025-10-27", "000001.SS": "2025-10-27", "ES=F": "2025-10-27",
                                   "CNY=X": "2025-10-27"}),
    # Sunday evening ET after the Globex reopen: still trade date Monday 10-27.
    ("2025-10-26T19:00:00-04:00", {"ES=F": "2025-10-27", "SPY": "2025-10-27", "^N225": "2025-10-27"}),
    # During US trading hours on Friday 2025-10-10: same day in New York, next session in Asia
    # (Tokyo's Monday 10-13 is Sports Day, so 10-14).
    ("2025-10-10T10:57:00-04:00", {"SPY": "2025-10-10", "^DJI": "2025-10-10", "ES=F": "2025-10-10",
                                   "^N225": "2025-10-14", "^KS11": "2025-10-13", "^HSI": "2025-10-13",
                                   "000001.SS": "2025-10-13"}),
    # Friday 2025-10-03 noon ET, during Golden Week and Chuseok.
    ("2025-10-03T12:00:00-04:00", {"SPY": "2025-10-03", "^N225": "2025-10-06", "^KS11": "2025-10-10",
                                   "^HSI": "2025-10-06", "000001.SS": "2025-10-09"}),
    # Tuesday evening ET before Chung Yeung: Hong Kong skips Wednesday 10-29.
    ("2025-10-28T22:00:00-04:00", {"^HSI": "2025-10-30", "^N225": "2025-10-29", "^KS11": "2025-10-29",
                                   "SPY": "2025-10-29"}),
    # Busan meeting, Thursday 2025-10-30 11:00 KST: during the Asian session -> same day.
    ("2025-10-30T11:00:00+09:00", {"^KS11": "2025-10-30", "^N225": "2025-10-30", "^HSI": "2025-10-30",
                                   "000001.SS": "2025-10-30", "SPY": "2025-10-30", "ES=F": "2025-10-30"}),
    # After the Tokyo close on the same day: next Tokyo session.
    ("2025-10-30T16:00:00+09:00", {"^N225": "2025-10-31", "^HSI": "2025-10-30"}),
    # Monday 2025-11-24 morning ET (Trump-Xi call): Tokyo closed 11-24 anyway.
    ("2025-11-24T10:00:00-05:00", {"SPY": "2025-11-24", "^N225": "2025-11-25", "^KS11": "2025-11-25"}),
    # Thanksgiving 2025-11-27: NYSE and CME trade date move to Friday 11-28.
    ("2025-11-27T10:00:00-05:00", {"SPY": "2025-11-28", "ES=F": "2025-11-28"}),
    # 2025-01-09, NYSE closed for the national day of mourning; CME equity futures traded to 09:30 ET.
    ("2025-01-09T08:00:00-05:00", {"SPY": "2025-01-10", "ES=F": "2025-01-09"}),
    ("2025-01-09T10:00:00-05:00", {"SPY": "2025-01-10", "ES=F": "2025-01-10"}),
    # Exactly at the close is not "strictly after": the next session is day 0.
    ("2025-05-12T16:00:00-04:00", {"SPY": "2025-05-13"}),
    ("2025-05-12T15:59:00-04:00", {"SPY": "2025-05-12"}),
]

CASES = [(ts, asset, day0) for ts, d in ANSWERS for asset, day0 in d.items()]


def _events(timestamps):
    frame = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(timestamps))], "timestamp": timestamps,
                          "time_precision": "exact"})
    return load_events(frame=frame)


@pytest.fixture(scope="module")
def aligned():
    ts = [a for a, _ in ANSWERS]
    assets = sorted({asset for _, d in ANSWERS for asset in d})
    out = align(_events(ts), assets)
    out["ts"] = out["event_id"].map(dict(zip([f"e{i}" for i in range(len(ts))], ts)))
    return out.set_index(["ts", "asset"])


@pytest.mark.parametrize("ts,asset,day0", CASES)
def test_day0_answer_table(aligned, ts, asset, day0):
    assert f"{aligned.loc[(ts, asset), 'day0']:%Y-%m-%d}" == day0


@pytest.mark.parametrize("ts,asset,day0", CASES)
def test_answer_table_day0_is_a_real_trading_day(bundled_daily, ts, asset, day0):
    """The expected day 0 has a real close in the bundled data: the answer table agrees with the market."""
    dates = set(bundled_daily.loc[bundled_daily["ticker"] == asset, "date"].dt.strftime("%Y-%m-%d"))
    assert day0 in dates


DATE_ONLY = [
    # (date, policy, {asset: day 0}); the date is US Eastern (-04:00)
    ("2025-06-05", "session-date", {"SPY": "2025-06-05", "^N225": "2025-06-05", "ES=F": "2025-06-05"}),
    ("2025-06-05", "start-of-day", {"SPY": "2025-06-05", "^N225": "2025-06-05", "ES=F": "2025-06-05"}),
    ("2025-06-05", "end-of-day", {"SPY": "2025-06-06", "^N225": "2025-06-06", "ES=F": "2025-06-06"}),
    ("2025-10-26", "session-date", {"SPY": "2025-10-27", "^N225": "2025-10-27", "ES=F": "2025-10-27"}),
    ("2025-10-26", "end-of-day", {"SPY": "2025-10-27", "^N225": "2025-10-27", "ES=F": "2025-10-27"}),
    ("2025-11-24", "session-date", {"SPY": "2025-11-24", "^N225": "2025-11-25"}),
]


@pytest.mark.parametrize("date,policy,answers", DATE_ONLY)
def test_date_only_policies(date, policy, answers):
    ev = load_events(frame=pd.DataFrame({"event_id": ["d"], "timestamp": [f"{date}T00:00:00-04:00"],
                                         "time_precision": ["date-only"]}))
    out = align(ev, list(answers), date_only=policy).set_index("asset")
    assert {a: f"{d:%Y-%m-%d}" for a, d in out["day0"].items()} == answers
    assert out["rule"].str.startswith("date-only").all()


def test_date_only_policy_whitelist_names_choices():
    ev = load_events(frame=pd.DataFrame({"event_id": ["d"], "date": ["2025-06-05"]}))
    with pytest.raises(ValueError, match=r"date_only='noon'.*session-date"):
        align(ev, ["SPY"], date_only="noon")


def test_cme_session_bounds_are_18_to_17_eastern(aligned):
    row = aligned.loc[("2025-05-06T20:00:00-04:00", "ES=F")]
    assert row["day0_open_utc"] == pd.Timestamp("2025-05-06T18:00:00-04:00")
    assert row["day0_close_utc"] == pd.Timestamp("2025-05-07T17:00:00-04:00")


def test_tokyo_close_is_1530_jst(aligned):
    row = aligned.loc[("2025-10-30T11:00:00+09:00", "^N225")]
    assert row["day0_close_utc"] == pd.Timestamp("2025-10-30T15:30:00+09:00")


def test_unknown_ticker_takes_sessions_from_its_data():
    from eventstudy import data_sessions

    # a user's series that traded Mon, Wed, Fri only
    sess = data_sessions(pd.to_datetime(["2025-05-05", "2025-05-07", "2025-05-09"]))
    out = align(_events(["2025-05-06T10:00:00+00:00", "2025-05-07T23:00:00+00:00"]), ["MYFUND"],
                sessions={"MYFUND": sess})
    assert list(out["day0"].dt.strftime("%Y-%m-%d")) == ["2025-05-07", "2025-05-07"]


def test_unknown_ticker_without_data_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown ticker 'FOO'.*registry knows"):
        align(_events(["2025-05-06T10:00:00+00:00"]), ["FOO"])


def test_event_after_calendar_end_is_an_error():
    with pytest.raises(ValueError, match="fall after its last session"):
        align(_events(["2031-01-05T10:00:00+00:00"]), ["SPY"])


def test_bundled_catalog_aligns_on_every_default_asset():
    ev = load_events()
    out = align(ev)
    assert len(out) == len(ev) * 16
    assert out.groupby("event_id").size().eq(16).all()


def test_es_daily_close_is_the_1600_settlement(bundled):
    """Yahoo's daily ES=F close is the settlement fixed at 16:00 ET, not the 17:00 ET end of the
    trade date: over the bundled minute bars (Sep-Nov 2025) the daily close is a point or so from
    the close of the 15:59-16:00 ET bar and several points from that of 16:59-17:00 ET."""
    bars = bundled.intraday("ES=F", "2025-09-01T00:00:00Z", "2025-11-22T00:00:00Z", "1m")
    daily = bundled.daily(["ES=F"], "2025-09-02", "2025-11-20").set_index("date")["close"]
    local = bars.set_index(bars["time"].dt.tz_convert("America/New_York"))["close"]

    def gap(hhmm):
        out = []
        for day, close in daily.items():
            start = pd.Timestamp(f"{day:%Y-%m-%d} {hhmm}", tz="America/New_York") - pd.Timedelta(minutes=1)
            if start in local.index:
                out.append(abs(close - local[start]))
        return np.array(out)

    at16, at17 = gap("16:00"), gap("17:00")
    assert len(at16) > 40 and np.median(at16) <= 1.25 and np.median(at17) >= 5
    import eventstudy as es

    assert es.REGISTRY["ES=F"].sessions.fixing.startswith("daily price fixed at 16:00 America/New_York")


def test_yuan_day_is_yahoos_london_day():
    """Yahoo's FX daily bar is the London day (chart metadata: Europe/London, 00:00-23:59), so its
    close is fixed at 23:59 London: 22:59 UTC in summer, 23:59 UTC in winter. Answers by hand."""
    import eventstudy as es

    cases = {  # event instant -> CNY=X day 0
        "2025-07-15T22:30:00+00:00": "2025-07-15",  # 23:30 BST: before the London day ends
        "2025-07-15T23:30:00+00:00": "2025-07-16",  # 00:30 BST on the 16th: the next London day
        "2025-01-15T23:30:00+00:00": "2025-01-15",  # 23:30 GMT: still the 15th in London
        "2025-07-18T23:30:00+00:00": "2025-07-21",  # 00:30 BST Saturday: the next weekday
    }
    ev = es.load_events(frame=pd.DataFrame({"event_id": [f"e{i}" for i in range(len(cases))],
                                            "timestamp": list(cases)}))
    got = es.align(ev, ["CNY=X"]).set_index("event_id")["day0"].dt.strftime("%Y-%m-%d").tolist()
    assert got == list(cases.values())
    assert es.REGISTRY["CNY=X"].sessions.fixing.startswith("daily price fixed at 23:59 Europe/London")
