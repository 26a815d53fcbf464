"""News in New York reaches Tokyo the next morning: r̄ must see the two as correlated (issue 10, defect 8).

Known truth by construction: every close carries the common factor of each US day since the
market's previous close, New York through that day and Tokyo (which closes before New York
opens) through the US day before. A New York afternoon event has Tokyo's day 0 one session
later, and the residuals of the two markets at the same event-time offset share one US day's
factor: their correlation is rho = 0.5. Aligned on calendar dates they share none.
"""

import re

import numpy as np
import pandas as pd
import pytest

import eventstudy as es

RHO, SD = 0.5, 0.01


def simulate(event_day=None):
    """Prices of 2 New York and 2 Tokyo markets with the lead-lag factor, and a study of one event
    at 15:00 UTC (New York hours) on ``event_day`` (default: a session about 600 days in)."""
    rng = np.random.default_rng(8)
    ny, tk = es.exchange_sessions("XNYS"), es.exchange_sessions("XTKS")
    days = pd.bdate_range("2021-01-04", periods=700)
    cum = np.concatenate([[0.0], np.cumsum(rng.normal(0, SD * np.sqrt(RHO), len(days)))])
    frames, calendars = [], {}
    for name, cal, table in (("NY1", "XNYS", ny), ("NY2", "XNYS", ny), ("TK1", "XTKS", tk), ("TK2", "XTKS", tk)):
        sess = table.sessions[(table.sessions > days[0]) & (table.sessions <= days[-1])]
        through = np.searchsorted(days, sess) + (1 if cal == "XNYS" else 0)
        r = np.diff(cum[np.concatenate([[through[0] - 1], through])]) + rng.normal(0, SD * np.sqrt(1 - RHO), len(sess))
        frames.append(pd.DataFrame({"ticker": name, "date": sess, "close": 100 * np.cumprod(1 + r)}))
        calendars[name] = cal
    prices = pd.concat(frames, ignore_index=True).assign(adj_close=lambda d: d["close"])
    event_day = event_day if event_day is not None else ny.sessions[(ny.sessions >= days[600])][0]
    events = es.load_events(frame=pd.DataFrame({"event_id": ["news"],
                                                "timestamp": [f"{event_day:%Y-%m-%d}T15:00:00+00:00"]}))
    res = es.EventStudy(events, prices, model="constant-mean", estimation=(-250, -11), windows=((0, 0),),
                        calendars=calendars, n_boot=50).fit()
    return res, event_day, tk


def rbar_of(res):
    note = res.tests[(res.tests["test"] == "kp_bmp") & res.tests["tau"].isna() & (res.tests["group"] == "all")]
    return float(re.search(r"r̄=(-?[0-9.]+) from (\d+)/(\d+) member pairs aligned on event time",
                           note["note"].iloc[0]).group(1))


@pytest.fixture(scope="module")
def study():
    return simulate()


def test_tokyo_day0_is_the_next_session(study):
    res, event_day, tk = study
    day0 = res.members.set_index("asset")["day0"]
    assert day0["NY1"] == event_day
    assert day0["TK1"] == tk.sessions[tk.sessions > event_day][0]


def test_event_time_rbar_sees_the_lead_lag_correlation(study):
    res, _, _ = study
    rbar = rbar_of(res)
    assert 0.4 < rbar < 0.6  # every pair, New York with Tokyo included, shares one US day's factor
    # on calendar dates the New York and Tokyo residuals share no factor: the old rule's zero
    est = res.abnormal_returns[res.abnormal_returns["part"] == "estimation"]
    wide = est.pivot_table(index="date", columns="asset", values="ar")
    assert abs(wide["NY1"].corr(wide["TK1"])) < 0.15
    assert wide["NY1"].corr(wide["NY2"]) > 0.4


def test_a_tokyo_holiday_that_delays_day0_does_not_shift_tokyo_for_the_whole_window():
    """News on Friday 2022-01-07 in New York hours: Tokyo's next morning is Monday 01-10, a
    Japanese holiday (Coming of Age Day), so Tokyo's day 0 is Tuesday 01-11, two business days
    after New York's. Offsets from each market's anchor (the Saturday the rule starts from, for
    Tokyo) still pair New York's Thursday with Tokyo's Friday; offsets from day 0 would pair it
    with Tokyo's Thursday all through the estimation window, and r̄ fell to about 0.2."""
    res, event_day, _ = simulate(pd.Timestamp("2022-01-07"))
    day0 = res.members.set_index("asset")["day0"]
    assert day0["NY1"] == pd.Timestamp("2022-01-07") and day0["TK1"] == pd.Timestamp("2022-01-11")
    assert 0.4 < rbar_of(res) < 0.6


def test_day0_is_the_first_session_on_or_after_its_anchor(bundled):
    """The anchor is where the day-0 rule starts: on every bundled market, for every catalog event
    (timed and date-only), day 0 is the first session on or after it and the anchor is not after
    day 0."""
    from eventstudy.examples import us_china

    res = us_china.study().fit()
    m = res.members
    for asset, g in m.groupby("asset"):
        sessions = es.REGISTRY[asset].sessions.sessions
        first = sessions[np.searchsorted(sessions, pd.DatetimeIndex(g["anchor"]))]
        assert (first == pd.DatetimeIndex(g["day0"])).all(), asset
        assert (g["anchor"] <= g["day0"]).all()


def test_a_seven_day_market_meets_weekday_markets_on_one_grid():
    """A seven-day series (crypto) and a weekday market share a factor on every weekday. With one
    convention for the study (calendar days, because one member has weekend rows) the pair's
    event-time residuals meet day by day and r̄ finds the correlation; mixing business days for
    one member with calendar days for the other would pair a Friday with a Sunday."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2022-01-01", periods=900, freq="D")
    f = rng.normal(0, SD * np.sqrt(RHO), len(days))
    wk = days.day_of_week < 5
    week = pd.DataFrame({"ticker": "WK", "date": days[wk],
                         "close": 100 * np.cumprod(1 + f[wk] + rng.normal(0, SD * np.sqrt(1 - RHO), wk.sum()))})
    seven = pd.DataFrame({"ticker": "SEVEN", "date": days,
                          "close": 100 * np.cumprod(1 + f + rng.normal(0, SD * np.sqrt(1 - RHO), len(days)))})
    prices = pd.concat([week, seven], ignore_index=True).assign(adj_close=lambda d: d["close"])
    ev = es.load_events(frame=pd.DataFrame({"event_id": ["news"], "date": [f"{days[800]:%Y-%m-%d}"]}))
    res = es.EventStudy(ev, prices, model="constant-mean", estimation=(-250, -11), windows=((0, 0),),
                        n_boot=50).fit()
    assert res.plan.grid.calendar_days
    note = res.tests[(res.tests["test"] == "kp_bmp") & res.tests["tau"].isna()]["note"].iloc[0]
    rbar = float(re.search(r"r̄=(-?[0-9.]+)", note).group(1))
    assert 0.35 < rbar < 0.65, note


def test_business_day_offsets_equal_numpy_busday_count():
    """event_offsets counts business days in integer arithmetic (issue 12: numpy.busday_count on
    the (N, M) grid took seconds); it must equal -busday_count(date, anchor), the reference, for
    rows before and after the anchor, anchors on weekends (date-only events) and missing rows."""
    from eventstudy.eventtime import NO_OFFSET, event_offsets

    rng = np.random.default_rng(3)
    n, m = 3000, 60
    anchor = (np.datetime64("2000-01-01") + rng.integers(0, 9000, n)).astype("datetime64[D]")
    dates = (anchor[:, None] + rng.integers(-300, 30, (n, m))).astype("datetime64[D]")
    dates = np.where(((dates.astype(np.int64) + 3) % 7) < 5, dates, np.datetime64("NaT"))  # weekdays only
    dates[rng.random((n, m)) < 0.05] = np.datetime64("NaT")
    nat = np.isnat(dates)
    safe = np.where(nat, anchor[:, None], dates)
    expected = -np.busday_count(safe, np.broadcast_to(anchor[:, None], safe.shape))
    expected[nat] = NO_OFFSET
    assert (((anchor.astype(np.int64) + 3) % 7) >= 5).sum() > 500  # weekend anchors are in the sample
    assert np.array_equal(event_offsets(dates, anchor), expected)
