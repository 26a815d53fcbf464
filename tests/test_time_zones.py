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


@pytest.fixture(scope="module")
def study():
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
    event_day = ny.sessions[(ny.sessions >= days[600])][0]
    events = es.load_events(frame=pd.DataFrame({"event_id": ["news"],
                                                "timestamp": [f"{event_day:%Y-%m-%d}T15:00:00+00:00"]}))
    res = es.EventStudy(events, prices, model="constant-mean", estimation=(-250, -11), windows=((0, 0),),
                        calendars=calendars, n_boot=50).fit()
    return res, event_day, tk


def test_tokyo_day0_is_the_next_session(study):
    res, event_day, tk = study
    day0 = res.members.set_index("asset")["day0"]
    assert day0["NY1"] == event_day
    assert day0["TK1"] == tk.sessions[tk.sessions > event_day][0]


def test_event_time_rbar_sees_the_lead_lag_correlation(study):
    res, _, _ = study
    note = res.tests[(res.tests["test"] == "kp_bmp") & res.tests["tau"].isna() & (res.tests["group"] == "all")]
    rbar = float(re.search(r"r̄=(-?[0-9.]+) from (\d+)/(\d+) member pairs aligned on event time",
                           note["note"].iloc[0]).group(1))
    assert 0.4 < rbar < 0.6  # every pair, New York with Tokyo included, shares one US day's factor
    # on calendar dates the New York and Tokyo residuals share no factor: the old rule's zero
    est = res.abnormal_returns[res.abnormal_returns["part"] == "estimation"]
    wide = est.pivot_table(index="date", columns="asset", values="ar")
    assert abs(wide["NY1"].corr(wide["TK1"])) < 0.15
    assert wide["NY1"].corr(wide["NY2"]) > 0.4


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
